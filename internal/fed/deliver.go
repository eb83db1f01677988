package fed

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// deliveryAttempts: with River's backoff (n⁴ seconds) 20 attempts retry for about a week.
const deliveryAttempts = 20

// unreachableAfter is how long a host may fail every delivery before it is marked unreachable
// and skipped until it answers again (it sends us something, see hostAnswered) — Mastodon's rule.
const unreachableAfter = 7 * 24 * time.Hour

// perHost bounds the deliveries in flight to one remote host from this process.
const perHost = 4

// DeliverArgs is one signed POST of an activity to one inbox.
type DeliverArgs struct {
	Inbox    string          `json:"inbox"`
	Activity json.RawMessage `json:"activity"`
	// VideoID is the video whose activity this is (0 for others: an Accept, the actor's
	// Update); each attempt is then written to that video's publication log under Ref, the
	// activity's id.
	VideoID int64  `json:"video_id,omitempty"`
	Ref     string `json:"ref,omitempty"`
}

// Kind names the job.
func (DeliverArgs) Kind() string { return "fed.deliver" }

// InsertOpts puts deliveries on their own queue.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: deliveryAttempts}
}

// Register adds the delivery worker to q. Every process that enqueues deliveries registers it.
func (s *Service) Register(q *jobs.Queue) error {
	var slots sync.Map // host → chan struct{}
	return jobs.Register(q, jobs.WorkFunc[DeliverArgs](func(ctx context.Context, job *jobs.Job[DeliverArgs]) error {
		host := hostOf(job.Args.Inbox)
		v, _ := slots.LoadOrStore(host, make(chan struct{}, perHost))
		sem := v.(chan struct{})
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-sem }()
		err := s.deliver(ctx, job.Args)
		if job.Args.VideoID != 0 && ctx.Err() == nil {
			s.logDelivery(ctx, job, err)
		}
		return err
	}))
}

// logDelivery writes an attempt of a video's delivery to its publication log: reached, to be
// tried again, or given up (a refusal that will not change, or the last attempt).
func (s *Service) logDelivery(ctx context.Context, job *jobs.Job[DeliverArgs], err error) {
	status, detail := publog.StatusOK, "HTTP 2xx"
	var cancel *river.JobCancelError
	switch {
	case err == nil:
	case errors.As(err, &cancel) || job.Attempt >= job.MaxAttempts:
		status, detail = publog.StatusFailed, err.Error()
	default:
		status, detail = publog.StatusPending, err.Error()
	}
	a := job.Args
	host := hostOf(a.Inbox)
	if lerr := s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		channel := publog.ChannelFediverse
		if partner, err := partnerHost(ctx, tx, host); err != nil {
			return err
		} else if partner {
			channel = publog.ChannelPartner
		}
		return publog.RecordDelivery(ctx, tx, a.VideoID, channel, host, a.Ref, job.Attempt, status, detail, s.now())
	}); lerr != nil {
		s.log.Warn("fediverse: delivery not logged", "video", a.VideoID, "err", lerr)
	}
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

// Deliver enqueues activity to each inbox in tx, one job per distinct inbox.
func (s *Service) Deliver(ctx context.Context, tx *sql.Tx, activity any, inboxes []string) error {
	return s.deliverAll(ctx, tx, activity, inboxes, 0, "")
}

func (s *Service) deliverAll(ctx context.Context, tx *sql.Tx, activity any, inboxes []string, videoID int64, ref string) error {
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
	for _, inbox := range hostsInTurn(inboxes) {
		if bl.Severity(hostOf(inbox)) == SeverityReject {
			continue // a rejected server gets nothing from us
		}
		if _, err := s.queue.Insert(ctx, tx, DeliverArgs{Inbox: inbox, Activity: b, VideoID: videoID, Ref: ref}, nil); err != nil {
			return fmt.Errorf("fed: deliver: %w", err)
		}
	}
	return nil
}

// hostsInTurn returns the distinct non-empty inboxes with their hosts taken in turn (a, b, c, a,
// b, …): the workers then spread over the servers instead of queueing behind one server's bound
// (perHost) while the others wait.
func hostsInTurn(inboxes []string) []string {
	seen := map[string]bool{}
	var hosts []string
	byHost := map[string][]string{}
	for _, inbox := range inboxes {
		if inbox == "" || seen[inbox] {
			continue
		}
		seen[inbox] = true
		h := hostOf(inbox)
		if byHost[h] == nil {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], inbox)
	}
	out := make([]string, 0, len(seen))
	for i := 0; len(out) < len(seen); i++ {
		for _, h := range hosts {
			if i < len(byHost[h]) {
				out = append(out, byHost[h][i])
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
	rows, err := tx.QueryContext(ctx, `SELECT CASE WHEN shared_inbox <> '' THEN shared_inbox ELSE inbox END
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
	return s.deliverAll(ctx, tx, activity, inboxes, videoID, ref)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Inbox, bytes.NewReader(a.Activity))
	if err != nil {
		return jobs.Permanent(fmt.Errorf("fed: deliver to %s: %w", host, err))
	}
	req.Header.Set("Content-Type", ldContentType)
	req.Header.Set("User-Agent", "sistercity/"+s.version+" (+"+s.base+"/)")
	if err := s.sign(ctx, req, a.Activity); err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.hostFailed(ctx, host)
		return fmt.Errorf("fed: deliver to %s: %w", host, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		if !recorded {
			return nil
		}
		return s.clearHost(ctx, host, skip)
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return jobs.Permanent(fmt.Errorf("fed: deliver to %s: status %d", host, resp.StatusCode))
	}
	s.hostFailed(ctx, host)
	return fmt.Errorf("fed: deliver to %s: status %d", host, resp.StatusCode)
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
