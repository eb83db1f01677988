package fed

import (
	"bytes"
	"context"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"sistercity/internal/db"
	"sistercity/internal/jobs"
	"sistercity/internal/publog"
)

// Queue is the job queue deliveries run on, apart from video encoding so that a long encode
// never holds up a follower's Accept, nor a thousand deliveries an encode.
const Queue = "federation"

// QueueFetchCooldown is the least time between two fetches of deliveries (jobs.Config's
// FetchCooldowns): a delivery takes milliseconds, so River's 100 ms would cap a fan-out near
// the workers' number per 100 ms (bench/fanout measured it).
const QueueFetchCooldown = 5 * time.Millisecond

// QueueFetchPollInterval is how often the deliveries' workers look for jobs without being told
// (jobs.Config's FetchPollIntervals; River's default is 1 s): a worker freed while the queue is
// fetching stays idle until the next poll, which at the end of a fan-out with more batches than
// workers held the last batches back by up to a second (bench/fanout -trace showed 0.03–0.5 s).
// A poll is one indexed query.
const QueueFetchPollInterval = 200 * time.Millisecond

// deliveryAttempts: with River's backoff (n⁴ seconds) 20 attempts retry for about a week.
const deliveryAttempts = 20

// unreachableAfter is how long a host may fail every delivery before it is marked unreachable
// and skipped until it answers again (it sends us something, see hostAnswered) — Mastodon's rule.
const unreachableAfter = 7 * 24 * time.Hour

// batchInFlight bounds a batch job's POSTs in flight. A batch of one server is held to perHost
// by the server's bound; one of several servers' shared inboxes POSTs to up to this many of
// them at once, as that many jobs of one inbox each would, so that a slow server holds one
// of them and not a quarter of the batch.
const batchInFlight = 16

// batchSize is the most inboxes a delivery job carries (DeliverBatchArgs): a fan-out to a
// thousand followers on ten servers is twenty jobs, not a thousand, and so is one to a
// thousand servers' shared inboxes, so the queue's per-job costs (its fetch, the job's
// completion, the reads of the key, the block list and the hosts' records) are paid per fifty
// deliveries. A crash in the middle sends the batch again whole: at most this many inboxes get
// an activity twice.
const batchSize = 50

// DeliverArgs is one signed POST of an activity to one inbox.
type DeliverArgs struct {
	Inbox    string          `json:"inbox"`
	Activity json.RawMessage `json:"activity"`
	// VideoID is the video whose activity this is (0 for others: an Accept, the actor's
	// Update); each attempt is then written to that video's publication log under Ref, the
	// activity's id.
	VideoID int64  `json:"video_id,omitempty"`
	Ref     string `json:"ref,omitempty"`
	// Tried is how many attempts a batch made for this inbox before it split it off into a
	// job of its own (DeliverBatchArgs); the log counts them with this job's.
	Tried int `json:"tried,omitempty"`
	// KeyID is the key id the POST is signed under: the city's ("") or that of the channel or
	// its account, when the activity is theirs (the Accept of a follow of the channel).
	KeyID string `json:"key_id,omitempty"`
}

// Kind names the job.
func (DeliverArgs) Kind() string { return "fed.deliver" }

// InsertOpts puts deliveries on their own queue.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: deliveryAttempts}
}

// DeliverBatchArgs is the POST of one activity to up to batchSize inboxes: one host's, or, for
// hosts with fewer, several hosts' (batchesInTurn). An inbox that fails where others of the
// batch succeed goes on in a DeliverArgs job of its own, retried with the queue's backoff, and
// the batch ends: a retry never reaches the inboxes that already have the activity. When every
// inbox fails the batch is retried whole.
type DeliverBatchArgs struct {
	Inboxes  []string        `json:"inboxes"`
	Activity json.RawMessage `json:"activity"`
	VideoID  int64           `json:"video_id,omitempty"`
	Ref      string          `json:"ref,omitempty"`
	KeyID    string          `json:"key_id,omitempty"`
}

// Kind names the job.
func (DeliverBatchArgs) Kind() string { return "fed.deliver_batch" }

// InsertOpts puts batches on the deliveries' queue.
func (DeliverBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: deliveryAttempts}
}

// Register adds the delivery workers to q. Every process that enqueues deliveries registers
// them.
func (s *Service) Register(q *jobs.Queue) error {
	var slots hostSlotsMap // shared by both kinds of job
	err := jobs.Register(q, jobs.WorkFunc[DeliverArgs](func(ctx context.Context, job *jobs.Job[DeliverArgs]) error {
		h := slots.of(hostOf(job.Args.Inbox))
		if !h.acquire(ctx) {
			// Not an attempt: nothing goes to the publication log.
			return jobs.Snooze(h.busyDelay(job.Snoozes))
		}
		defer h.release()
		dctx, cancel := context.WithTimeout(ctx, s.postsBound())
		defer cancel()
		err := s.deliver(dctx, job.Args)
		h.done(err)
		if job.Args.VideoID != 0 && ctx.Err() == nil {
			s.logDelivery(ctx, job, err)
		}
		return err
	}))
	if err != nil {
		return err
	}
	return jobs.Register(q, jobs.WorkFunc[DeliverBatchArgs](func(ctx context.Context, job *jobs.Job[DeliverBatchArgs]) error {
		return s.deliverBatch(ctx, job, &slots)
	}))
}

// logDelivery writes an attempt of a video's delivery to its publication log: reached, to be
// tried again, or given up (a refusal that will not change, or the last attempt).
func (s *Service) logDelivery(ctx context.Context, job *jobs.Job[DeliverArgs], err error) {
	status, detail := publog.StatusOK, "HTTP 2xx"
	switch {
	case err == nil:
	case isPermanent(err) || job.Attempt >= job.MaxAttempts:
		status, detail = publog.StatusFailed, err.Error()
	default:
		status, detail = publog.StatusPending, err.Error()
	}
	a := job.Args
	if lerr := s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		return s.recordDelivery(ctx, tx, a.VideoID, hostOf(a.Inbox), a.Ref, a.Tried+job.Attempt, status, detail)
	}); lerr != nil {
		s.log.Warn("fediverse: delivery not logged", "video", a.VideoID, "err", lerr)
	}
}

// recordDelivery writes an attempt to host to the publication log of video videoID, as a
// partner's delivery when host is a partner city's instance.
func (s *Service) recordDelivery(ctx context.Context, tx *sql.Tx, videoID int64, host, ref string, attempt int, status, detail string) error {
	channel := publog.ChannelFediverse
	if partner, err := partnerHost(ctx, tx, host); err != nil {
		return err
	} else if partner {
		channel = publog.ChannelPartner
	}
	return publog.RecordDelivery(ctx, tx, videoID, channel, host, ref, attempt, status, detail, s.now())
}

// isPermanent tells whether err ends a delivery without retry (jobs.Permanent).
func isPermanent(err error) bool {
	var cancel *river.JobCancelError
	return errors.As(err, &cancel)
}

// partnerHost tells whether host is a partner city's instance: the host of the actor a
// partnership names for its sister portal (package portal keeps them in partner_actors). A
// delivery there is the video reaching the partner's portal, which shows it to its visitors.
func partnerHost(ctx context.Context, q db.Querier, host string) (bool, error) {
	found := false
	err := db.Each(ctx, q, `SELECT actor_id FROM partner_actors`, nil, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		found = found || strings.EqualFold(hostOf(id), host)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("fed: partner hosts: %w", err)
	}
	return found, nil
}

// Deliver enqueues activity to each inbox in tx: the distinct inboxes in batches
// (DeliverBatchArgs) of up to batchSize (see batchesInTurn), a lone inbox in a DeliverArgs job.
func (s *Service) Deliver(ctx context.Context, tx *sql.Tx, activity any, inboxes []string) error {
	return s.deliverAll(ctx, tx, activity, inboxes, 0, "", "")
}

// deliverAll is Deliver of video videoID's activity ref (0 and "" for others), signed under
// keyID ("" for the city's key id).
func (s *Service) deliverAll(ctx context.Context, tx *sql.Tx, activity any, inboxes []string, videoID int64, ref, keyID string) error {
	if s.queue == nil {
		return errors.New("fed: deliver: no job queue")
	}
	b, err := json.Marshal(activity)
	if err != nil {
		return fmt.Errorf("fed: deliver: %w", err)
	}
	bl, err := LoadBlocks(ctx, tx)
	if err != nil {
		return err
	}
	// A rejected server gets nothing from us.
	inboxes = slices.DeleteFunc(slices.Clone(inboxes), func(in string) bool { return bl.Severity(hostOf(in)) == SeverityReject })
	var many []jobs.Many
	for _, batch := range batchesInTurn(inboxes, batchSize) {
		if len(batch) == 1 {
			many = append(many, jobs.Many{Args: DeliverArgs{Inbox: batch[0], Activity: b, VideoID: videoID, Ref: ref, KeyID: keyID}})
		} else {
			many = append(many, jobs.Many{Args: DeliverBatchArgs{Inboxes: batch, Activity: b, VideoID: videoID, Ref: ref, KeyID: keyID}})
		}
	}
	// One insert of all the jobs: one statement per job made a fan-out to 1,000 followers
	// spend seconds on SQLite's single write connection (bench/fanout).
	if err := s.queue.InsertMany(ctx, tx, many); err != nil {
		return fmt.Errorf("fed: deliver: %w", err)
	}
	return nil
}

// batchesInTurn returns the distinct non-empty inboxes in batches of up to k: each host's
// inboxes cut into runs of up to k, the hosts taken in turn (a, b, c, a, …) so that the workers
// spread over the servers instead of queueing behind one server's bound (perHost) while the
// others wait; then consecutive runs packed into batches of up to k inboxes. A host with many
// followers fills batches of its own; hosts with few share one — most of the fediverse, where
// a fan-out reaches hundreds of servers through one shared inbox each, would otherwise be a
// job per server (bench/fanout: 1,000 servers, 1,000 jobs). A batch never holds two runs of
// one host: a host's run that is followed by another of its own is full.
func batchesInTurn(inboxes []string, k int) [][]string {
	seen := map[string]bool{}
	var hosts []string
	byHost := map[string][][]string{}
	for _, inbox := range inboxes {
		if inbox == "" || seen[inbox] {
			continue
		}
		seen[inbox] = true
		h := hostOf(inbox)
		bs := byHost[h]
		if bs == nil {
			hosts = append(hosts, h)
		}
		if len(bs) == 0 || len(bs[len(bs)-1]) == k {
			bs = append(bs, nil)
		}
		bs[len(bs)-1] = append(bs[len(bs)-1], inbox)
		byHost[h] = bs
	}
	var out [][]string
	for i, more := 0, true; more; i++ {
		more = false
		for _, h := range hosts {
			if i >= len(byHost[h]) {
				continue
			}
			run := byHost[h][i]
			more = true
			if n := len(out); n > 0 && len(out[n-1])+len(run) <= k {
				out[n-1] = append(out[n-1], run...)
			} else {
				out = append(out, slices.Clone(run))
			}
		}
	}
	return out
}

// Fanout enqueues activity (Create, Update, Delete of the city's objects) to every accepted
// follower in the caller's transaction: one job per inbox, a server's shared inbox once for all
// its followers.
func (s *Service) Fanout(ctx context.Context, tx *sql.Tx, activity any) error {
	return s.fanout(ctx, tx, activity, 0, "")
}

// FanoutVideo is Fanout of an activity of video videoID whose id is ref: every attempt of its
// deliveries is written to the video's publication log.
func (s *Service) FanoutVideo(ctx context.Context, tx *sql.Tx, videoID int64, ref string, activity any) error {
	return s.fanout(ctx, tx, activity, videoID, ref)
}

func (s *Service) fanout(ctx context.Context, tx *sql.Tx, activity any, videoID int64, ref string) error {
	// A remote that follows two of the city's actors has two rows with one inbox: it gets the
	// activity once.
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT CASE WHEN shared_inbox <> '' THEN shared_inbox ELSE inbox END
		FROM fed_followers WHERE state = 'accepted' ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("fed: fanout: %w", err)
	}
	var inboxes []string
	for rows.Next() {
		var in string
		if err := rows.Scan(&in); err != nil {
			rows.Close()
			return fmt.Errorf("fed: fanout: %w", err)
		}
		inboxes = append(inboxes, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fed: fanout: %w", err)
	}
	return s.deliverAll(ctx, tx, activity, inboxes, videoID, ref, "")
}

// deliver makes one attempt. A 4xx other than 408 and 429 will not change on retry: the job
// ends. Anything else is retried with backoff, and counts toward the host's unreachability.
func (s *Service) deliver(ctx context.Context, a DeliverArgs) error {
	host := hostOf(a.Inbox)
	// A job enqueued before its host was blocked ends unsent.
	if err := s.refuseBlockedHost(ctx, host); err != nil {
		return jobs.Permanent(fmt.Errorf("fed: deliver to %s: %w", host, err))
	}
	// One read of the host's record serves both the skip and, after a success, its clearing.
	recorded, skip, err := s.hostState(ctx, host)
	if err != nil {
		return err
	}
	if skip {
		s.log.Info("delivery skipped: host unreachable", "host", host)
		return nil
	}
	key, err := s.Key(ctx)
	if err != nil {
		return err
	}
	err = s.post(ctx, key, a.KeyID, a.Inbox, a.Activity)
	switch {
	case err == nil:
		if !recorded {
			return nil
		}
		return s.clearHost(ctx, host, false)
	case isPermanent(err):
		return err
	}
	s.hostFailed(ctx, host)
	return err
}

// noAnswerError is a POST that got no HTTP answer: no connection, or no answer within the
// client's timeout (safehttp's 20 s) or the job's bound. The host's other inboxes would most
// likely cost the same wait each, so a batch stops there.
type noAnswerError struct{ err error }

func (e *noAnswerError) Error() string { return e.err.Error() }
func (e *noAnswerError) Unwrap() error { return e.err }

func isNoAnswer(err error) bool {
	var na *noAnswerError
	return errors.As(err, &na)
}

// errNotTried is the outcome of a batch's inboxes left untried when it stopped.
var errNotTried = errors.New("fed: deliver: not tried, the host did not answer")

// postsBound is the most time the POSTs of one delivery job may take: three of the client's
// timeouts, at least a minute. A hanging server costs a batch one timeout (it stops at the
// first); this bounds a server that answers each POST just before the timeout, whose batch of
// 50 would otherwise hold a worker for minutes. What the bound cuts is tried again later.
func (s *Service) postsBound() time.Duration {
	t := 20 * time.Second
	if s.client != nil && s.client.Timeout > 0 {
		t = s.client.Timeout
	}
	return max(time.Minute, 3*t)
}

// post signs activity with key under keyID (see signWith) and POSTs it to inbox: nil for a 2xx, jobs.Permanent for an
// answer that will not change (a 4xx other than 408 and 429), a *noAnswerError when no answer came, another error to
// retry.
func (s *Service) post(ctx context.Context, key *rsa.PrivateKey, keyID, inbox string, activity []byte) error {
	host := hostOf(inbox)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(activity))
	if err != nil {
		return jobs.Permanent(fmt.Errorf("fed: deliver to %s: %w", host, err))
	}
	req.Header.Set("Content-Type", ldContentType)
	req.Header.Set("User-Agent", "sistercity/"+s.version+" (+"+s.base+"/)")
	if err := s.signWith(key, keyID, req, activity); err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return &noAnswerError{fmt.Errorf("fed: deliver to %s: %w", host, err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return jobs.Permanent(fmt.Errorf("fed: deliver to %s: status %d", host, resp.StatusCode))
	}
	return fmt.Errorf("fed: deliver to %s: status %d", host, resp.StatusCode)
}

// deliverBatch makes one attempt at a batch: the block list, the hosts' records and the key
// read once, the POSTs made up to batchInFlight at a time and up to perHost at a time to one
// host (slots holds each host's bound, shared with the other jobs of this process). An inbox
// whose host was blocked since the batch was enqueued, or is marked unreachable, is left out.
//
// Each host to POST to gets one of its slots for the batch's run, or is put off: its inboxes go
// on in jobs of their own, which wait for a slot as single deliveries do; when no host of the
// batch has a slot free, the batch is snoozed. The first POST a host does not answer (see
// noAnswerError) stops the batch's POSTs to that host: those under way are cancelled and its
// inboxes not tried are tried again later, like those that failed; the other hosts go on.
//
// Then, in one transaction: the inboxes to try again go into jobs of their own, scheduled as
// River would retry them; each host's attempt goes to the publication log; the batch completes.
// Only when every inbox failed, was not tried or was put off, and may be tried again, is the
// batch retried whole.
func (s *Service) deliverBatch(ctx context.Context, job *jobs.Job[DeliverBatchArgs], slots *hostSlotsMap) error {
	a := job.Args
	bl, err := LoadBlocks(ctx, s.db.R)
	if err != nil {
		return err
	}
	var hosts []string
	inboxesOf := map[string]int{}
	for _, inbox := range a.Inboxes {
		h := hostOf(inbox)
		if inboxesOf[h] == 0 {
			hosts = append(hosts, h)
		}
		inboxesOf[h]++
	}
	recorded, err := s.hostStates(ctx, hosts)
	if err != nil {
		return err
	}
	var groups []*hostBatch // the hosts to POST to
	var blocked []string
	for _, h := range hosts {
		switch unreachable, ok := recorded[h]; {
		case bl.Severity(h) == SeverityReject:
			blocked = append(blocked, h) // since the batch was enqueued: it ends unsent
			s.log.Info("delivery dropped: host blocked", "host", h, "inboxes", inboxesOf[h])
		case ok && unreachable:
			s.log.Info("delivery skipped: host unreachable", "host", h, "inboxes", inboxesOf[h])
		default:
			g := &hostBatch{host: h, slots: slots.of(h)}
			for i, inbox := range a.Inboxes {
				if hostOf(inbox) == h {
					g.inboxes = append(g.inboxes, i)
				}
			}
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		if len(blocked) > 0 && len(blocked) == len(hosts) {
			return jobs.Permanent(fmt.Errorf("fed: deliver to %s: %w", strings.Join(blocked, ", "), ErrBlocked))
		}
		return nil // every host unreachable (or blocked): nothing to try
	}
	key, err := s.Key(ctx)
	if err != nil {
		return err
	}
	ready := 0
	for _, g := range groups {
		if g.ready = g.slots.acquire(ctx); g.ready {
			ready++
		}
	}
	if ready == 0 {
		// Not an attempt: nothing goes to the publication log.
		return jobs.Snooze(groups[0].slots.busyDelay(job.Snoozes))
	}
	errs := make([]error, len(a.Inboxes))
	for _, g := range groups {
		for _, i := range g.inboxes {
			errs[i] = errNotTried
		}
	}
	pctx, cancel := context.WithTimeout(ctx, s.postsBound())
	defer cancel()
	inFlight := make(chan struct{}, batchInFlight)
	var wg sync.WaitGroup
	for _, g := range groups {
		if g.ready {
			wg.Go(func() { s.postToHost(pctx, g, inFlight, key, a, errs) })
		}
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err // stopped or timed out: the batch runs again whole (at least once)
	}
	type tally struct {
		tried, reached int
		again          bool
		firstErr       error
	}
	byHost := map[string]*tally{}
	var again []string
	var firstErr error
	todo := 0
	for _, g := range groups {
		todo += len(g.inboxes)
		if !g.ready {
			// Put off: not an attempt at this host, which was only busy.
			for _, i := range g.inboxes {
				again = append(again, a.Inboxes[i])
			}
			continue
		}
		if g.untried > 0 {
			s.log.Info("delivery stopped: host not answering", "host", g.host, "inboxes", len(g.inboxes), "not_tried", g.untried)
		}
		t := &tally{}
		byHost[g.host] = t
		for _, i := range g.inboxes {
			err := errs[i]
			t.tried++
			switch {
			case err == nil:
				t.reached++
				continue
			case !isPermanent(err):
				again = append(again, a.Inboxes[i])
				t.again = true
			}
			// The error of an inbox tried, rather than errNotTried, says why the host stopped.
			if t.firstErr == nil || errors.Is(t.firstErr, errNotTried) {
				t.firstErr = err
			}
			if firstErr == nil || errors.Is(firstErr, errNotTried) {
				firstErr = err
			}
		}
	}
	for h, t := range byHost {
		_, rec := recorded[h]
		switch {
		case t.reached > 0 && rec:
			if err := s.clearHost(ctx, h, false); err != nil {
				s.log.Warn("clearing a host's failures", "host", h, "err", err)
			}
		case t.reached == 0 && t.again:
			s.hostFailed(ctx, h)
		}
	}
	last := job.Attempt >= job.MaxAttempts
	// logAttempt writes each host's attempt to the video's publication log.
	logAttempt := func(tx *sql.Tx) error {
		for _, h := range hosts {
			t := byHost[h]
			if t == nil {
				continue // left out (blocked or unreachable) or put off: no attempt
			}
			status, detail := publog.StatusOK, "HTTP 2xx"
			switch {
			case t.again && !last:
				status = publog.StatusPending
			case t.firstErr != nil:
				status = publog.StatusFailed
			}
			if t.firstErr != nil {
				detail = fmt.Sprintf("%d/%d: %v", t.reached, t.tried, t.firstErr)
			}
			if err := s.recordDelivery(ctx, tx, a.VideoID, h, a.Ref, job.Attempt, status, detail); err != nil {
				return err
			}
		}
		return nil
	}
	if len(again) == todo && !last {
		// Nobody has it yet: the whole batch waits for River's retry.
		if a.VideoID != 0 {
			if lerr := s.db.InTxQuiet(ctx, logAttempt); lerr != nil {
				s.log.Warn("fediverse: delivery not logged", "video", a.VideoID, "err", lerr)
			}
		}
		return firstErr
	}
	return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		if len(again) > 0 && !last {
			at := time.Now().Add(s.queue.RetryDelay(job.Attempt))
			many := make([]jobs.Many, len(again))
			for i, inbox := range again {
				many[i] = jobs.Many{
					Args: DeliverArgs{Inbox: inbox, Activity: a.Activity, VideoID: a.VideoID, Ref: a.Ref, Tried: job.Attempt, KeyID: a.KeyID},
					Opts: &jobs.InsertOpts{ScheduledAt: at, MaxAttempts: job.MaxAttempts - job.Attempt},
				}
			}
			if err := s.queue.InsertMany(ctx, tx, many); err != nil {
				return fmt.Errorf("fed: deliver batch: split off: %w", err)
			}
		}
		if a.VideoID != 0 {
			if err := logAttempt(tx); err != nil {
				return err
			}
		}
		return jobs.CompleteTx(ctx, tx, job)
	})
}

// hostBatch is one host's part of a delivery batch.
type hostBatch struct {
	host    string
	slots   *hostSlots
	inboxes []int // indexes into the batch's inboxes
	ready   bool  // the batch holds one of the host's slots for its run
	untried int   // inboxes left untried when the host stopped answering
}

// postToHost makes a batch's POSTs to one host and writes their outcomes into errs: on the
// host's slot the batch holds for it (given back at the end), and on more of the host's slots
// while they are free now, so that it waits only for its own POSTs; at most batchInFlight of
// the batch's POSTs in flight. The first POST the host does not answer stops the rest.
func (s *Service) postToHost(ctx context.Context, g *hostBatch, inFlight chan struct{}, key *rsa.PrivateKey, a DeliverBatchArgs, errs []error) {
	defer g.slots.release()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	home := make(chan struct{}, 1) // holds a token while the batch's own slot is idle
	home <- struct{}{}
	var wg sync.WaitGroup
	defer wg.Wait()
	for n, i := range g.inboxes {
		// The batch's own slot if idle, else another of the host's if one is free now, else
		// wait for its own.
		var release func()
		select {
		case <-home:
			release = func() { home <- struct{}{} }
		default:
			if g.slots.tryAcquire() {
				release = g.slots.release
				break
			}
			select {
			case <-home:
				release = func() { home <- struct{}{} }
			case <-ctx.Done():
			}
		}
		if ctx.Err() == nil {
			select {
			case inFlight <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			// A POST found the host not answering, or the bound passed.
			if release != nil {
				release()
			}
			g.untried = len(g.inboxes) - n
			return
		}
		wg.Go(func() {
			defer release()
			defer func() { <-inFlight }()
			err := s.post(ctx, key, a.KeyID, a.Inboxes[i], a.Activity)
			g.slots.done(err)
			if isNoAnswer(err) {
				stop()
			}
			errs[i] = err
		})
	}
}

// hostStates tells, for each of hosts that has failures on record (hostFailed), whether it is
// marked unreachable; hosts without a record are absent. One query for a batch's hosts.
func (s *Service) hostStates(ctx context.Context, hosts []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(hosts) == 0 {
		return out, nil
	}
	marks := make([]string, len(hosts))
	args := make([]any, len(hosts))
	for i, h := range hosts {
		marks[i] = "$" + strconv.Itoa(i+1)
		args[i] = h
	}
	err := db.Each(ctx, s.db.R, "SELECT host, unreachable FROM fed_hosts WHERE host IN ("+strings.Join(marks, ", ")+")", args,
		func(rows *sql.Rows) error {
			var h string
			var unreachable bool
			if err := rows.Scan(&h, &unreachable); err != nil {
				return err
			}
			out[h] = unreachable
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("fed: hosts %s…: %w", hosts[0], err)
	}
	return out, nil
}

// hostState tells whether host has failures on record (hostFailed) and whether it is marked
// unreachable.
func (s *Service) hostState(ctx context.Context, host string) (recorded, unreachable bool, err error) {
	err = s.db.R.QueryRowContext(ctx, "SELECT unreachable FROM fed_hosts WHERE host = $1", host).Scan(&unreachable)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("fed: host %s: %w", host, err)
	}
	return true, unreachable, nil
}

// hostFailed records a failed delivery; after unreachableAfter of failures the host is marked.
func (s *Service) hostFailed(ctx context.Context, host string) {
	now := s.now().UTC()
	err := s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO fed_hosts (host, failing_since, unreachable) VALUES ($1, $2, FALSE)
			ON CONFLICT (host) DO NOTHING`, host, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE fed_hosts SET unreachable = TRUE WHERE host = $1 AND failing_since < $2",
			host, now.Add(-unreachableAfter))
		return err
	})
	if err != nil {
		s.log.Warn("recording a failed delivery", "host", host, "err", err)
	}
}

// hostAnswered clears what hostFailed recorded: the host is back.
func (s *Service) hostAnswered(ctx context.Context, host string) error {
	recorded, unreachable, err := s.hostState(ctx, host)
	if err != nil || !recorded {
		return err
	}
	return s.clearHost(ctx, host, unreachable)
}

// clearHost deletes host's record of failures; unreachable says whether it was so marked.
func (s *Service) clearHost(ctx context.Context, host string, unreachable bool) error {
	if unreachable {
		s.log.Info("host answers again", "host", host)
	}
	return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM fed_hosts WHERE host = $1", host)
		return err
	})
}
