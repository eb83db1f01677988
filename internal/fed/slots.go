package fed

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// perHost bounds the deliveries in flight to one remote host from this process.
const perHost = 4

// A delivery job whose host has its perHost POSTs in flight is snoozed (put off without counting
// an attempt) instead of waiting for a slot: a waiting job holds a worker of the queue, and the
// jobs of a server that accepts connections and never answers, each waiting for a slot freed
// once per client timeout, held every worker while the other servers' deliveries queued behind
// them. The wait is hostBusyFirst, with as much again of jitter, while the host answers (it is
// only busy); while it does not, the wait doubles with each snooze of the job up to hostBusyMax,
// so that the jobs of a hanging server come back spread out and seldom.
const (
	hostBusyFirst = time.Second
	hostBusyMax   = 30 * time.Second
)

// busyDelay is how long a job whose host had no slot for it, snoozed n times before, is snoozed.
func (h *hostSlots) busyDelay(n int) time.Duration {
	if !h.unanswered.Load() && time.Since(time.Unix(0, h.answered.Load())) < hostBusyMax {
		n = 0
	}
	return hostBusyDelay(n)
}

// hostBusyDelay is the wait of a job snoozed n times before for a host that does not answer.
func hostBusyDelay(n int) time.Duration {
	d := hostBusyMax
	if n < 5 {
		d = min(hostBusyFirst<<n, hostBusyMax)
	}
	return d + rand.N(d)
}

// A job that finds its server's slots taken waits for one while the server keeps answering
// POSTs (one within answeredLately, none left unanswered since): its slots then free within
// milliseconds, and a snooze of a second or more would leave a server's second batch waiting
// long after the first is done (bench/fanout, 1,000 followers on 10 servers: 0.27–0.40 of the
// bare loop with a 100 ms wait, 0.9 with this one). A server whose slots were all free until
// less than answeredLately ago counts as answering too: at the start of a fan-out its batches
// find its slots taken before any answer came. It checks every slotCheck and waits at most
// slotWait in all. A server that has not answered lately gets no wait: that is the hanging one.
const (
	answeredLately = 500 * time.Millisecond
	slotCheck      = 100 * time.Millisecond
	slotWait       = 10 * time.Second
)

// hostSlots is one host's bound of perHost POSTs in flight, shared by all the jobs of the
// process that deliver there.
type hostSlots struct {
	sem       chan struct{}
	answered  atomic.Int64 // when a POST last got an HTTP answer, Unix nanoseconds
	busySince atomic.Int64 // when a slot was last taken while all were free, Unix nanoseconds
	// unanswered is set by a POST that got no answer and cleared by the next answer: meanwhile
	// the host gets one POST at a time, a probe, so that a server that hangs holds one worker
	// per client timeout rather than perHost of them.
	unanswered atomic.Bool
}

// hostSlotsMap holds each host's slots for the life of the process.
type hostSlotsMap struct{ m sync.Map } // host → *hostSlots

func (hm *hostSlotsMap) of(host string) *hostSlots {
	if v, ok := hm.m.Load(host); ok {
		return v.(*hostSlots)
	}
	v, _ := hm.m.LoadOrStore(host, &hostSlots{sem: make(chan struct{}, perHost)})
	return v.(*hostSlots)
}

// answering tells whether the host answered lately, or got its first POST in flight lately,
// and left no POST unanswered since.
func (h *hostSlots) answering() bool {
	if h.unanswered.Load() {
		return false
	}
	return time.Since(time.Unix(0, h.answered.Load())) <= answeredLately ||
		time.Since(time.Unix(0, h.busySince.Load())) <= answeredLately
}

// acquire takes a slot if one is free now or frees while the host keeps answering (up to
// slotWait); it reports whether it did. Give the slot back with release.
func (h *hostSlots) acquire(ctx context.Context) bool {
	if h.tryAcquire() {
		return true
	}
	deadline := time.Now().Add(slotWait)
	t := time.NewTicker(slotCheck)
	defer t.Stop()
	for h.answering() && time.Now().Before(deadline) {
		select {
		case h.sem <- struct{}{}:
			h.taken()
			return true
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	return false
}

// tryAcquire takes a slot only if one is free now (only the probe's, while the host does not
// answer; two jobs may both take one then, a bound loose by a POST or so).
func (h *hostSlots) tryAcquire() bool {
	if h.unanswered.Load() && len(h.sem) > 0 {
		return false
	}
	select {
	case h.sem <- struct{}{}:
		h.taken()
		return true
	default:
		return false
	}
}

// taken notes a slot taken: the first of a busy spell starts it.
func (h *hostSlots) taken() {
	if len(h.sem) == 1 {
		h.busySince.Store(time.Now().UnixNano())
	}
}

func (h *hostSlots) release() { <-h.sem }

// done notes the outcome of a POST: all but a *noAnswerError show the host answering.
func (h *hostSlots) done(err error) {
	if isNoAnswer(err) {
		h.unanswered.Store(true)
		return
	}
	h.answered.Store(time.Now().UnixNano())
	h.unanswered.Store(false)
}
