package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync/atomic"
)

// Group commit: with synchronous=FULL every committed write transaction
// costs an fsync of the WAL, and SQLite takes one writer at a time, so with
// one transaction per call the blacklist's writes (a refresh rotation makes
// two) are bound by the disk's fsync rate. The committer instead runs every
// Blacklist and AddOutstanding call through one goroutine that owns the
// writer connection: while one transaction commits, the calls that arrive
// queue up, and the next transaction takes them all, so one fsync makes many
// writes durable. Nothing waits on purpose: a call on an idle store is
// committed at once, as on the old path; batches only form under load.
//
// Each call is answered only after the transaction holding its write has
// committed, with its own result: an INSERT ... ON CONFLICT DO NOTHING in
// one transaction sees the rows of the earlier ones, so of several calls
// with one JTI in a batch (or across batches, processes and connections)
// exactly one reports added. A statement that fails fails its own call
// only: the transaction is rolled back and the rest of the batch retried
// without it. A failure to begin or commit fails every call of that
// transaction, none of which then reports success.

// maxBatch bounds one transaction: a larger batch would hold the write lock
// (which other processes sharing the file, such as the CLI or Django, also
// wait for) longer than the fsync it saves is worth.
const maxBatch = 256

// writeReq is one call waiting for the committer.
type writeReq struct {
	ctx       context.Context
	blacklist bool // Blacklist; else AddOutstanding (when fn is nil)
	args      [5]any
	// fn, when set, is the call's own statements (a session rotation),
	// run in the batch's transaction; its error fails this call only.
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan writeResult // buffered: the committer never blocks on it
}

type writeResult struct {
	added bool // Blacklist only: this call inserted the row
	err   error
}

// committer is the goroutine that owns the blacklist's writes when group
// commit is on.
type committer struct {
	db                     *sql.DB
	blacklist, outstanding *sql.Stmt
	// reqs is unbuffered: a call is handed over only while the committer
	// is receiving, so none is left behind in a buffer after stop.
	reqs chan *writeReq
	stop chan struct{}
	done chan struct{}
	// commits counts committed transactions (tests compare it with the
	// number of writes).
	commits atomic.Int64
}

var errStoreClosed = errors.New("store closed")

func newCommitter(db *sql.DB, blacklist, outstanding *sql.Stmt) *committer {
	c := &committer{
		db: db, blacklist: blacklist, outstanding: outstanding,
		reqs: make(chan *writeReq),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go c.run()
	return c
}

// write hands one write to the committer and waits for its durable result.
// A caller whose context ends while waiting gets the context's error; its
// write, if already in a transaction, may still be committed (the caller
// was told nothing succeeded, which for a blacklist entry fails closed).
func (c *committer) write(ctx context.Context, blacklist bool, args [5]any) (bool, error) {
	return c.submit(ctx, &writeReq{ctx: ctx, blacklist: blacklist, args: args, done: make(chan writeResult, 1)})
}

// runTx runs fn in the next batch's transaction and waits until that
// transaction has committed (sqlstore.SessionTables.WithTxRunner). A fn
// that fails is rolled back with the batch, and the batch retried without
// it, as a failing statement is.
func (c *committer) runTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	_, err := c.submit(ctx, &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1)})
	return err
}

func (c *committer) submit(ctx context.Context, r *writeReq) (bool, error) {
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return false, unavailable("write", ctx.Err())
	case <-c.stop:
		return false, unavailable("write", errStoreClosed)
	}
	select {
	case res := <-r.done:
		return res.added, res.err
	case <-ctx.Done():
		return false, unavailable("write", ctx.Err())
	}
}

// close stops the committer once the transaction in progress is answered.
func (c *committer) close() {
	close(c.stop)
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case r := <-c.reqs:
			batch = append(batch[:0], r)
		case <-c.stop:
			return
		}
		// Take every call already waiting, without waiting for more.
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		c.commit(batch)
		clear(batch) // drop the references until the next batch
	}
}

// commit writes batch in one transaction and answers each call.
func (c *committer) commit(batch []*writeReq) {
	live := make([]*writeReq, 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- writeResult{err: unavailable("write", err)} // its caller has gone: not written
			continue
		}
		live = append(live, r)
	}
	for len(live) > 0 {
		added, failed, err := c.try(live)
		if err == nil {
			for i, r := range live {
				r.done <- writeResult{added: added[i]}
			}
			return
		}
		if failed < 0 {
			// Begin or commit failed: nothing of the batch is known written.
			for _, r := range live {
				r.done <- writeResult{err: err}
			}
			return
		}
		live[failed].done <- writeResult{err: err}
		live = slices.Delete(live, failed, failed+1)
	}
}

// try runs live in one transaction. On a statement's failure it rolls back
// and returns that statement's index; on a begin or commit failure the index
// is -1.
func (c *committer) try(live []*writeReq) (added []bool, failed int, err error) {
	// The statements run under a context of their own: a caller's context
	// ending mid-statement would interrupt SQLite, which rolls back the
	// whole transaction and every other call's write with it. busy_timeout
	// bounds the wait for the write lock.
	ctx := context.Background()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, -1, unavailable("begin", err)
	}
	bl, out := tx.StmtContext(ctx, c.blacklist), tx.StmtContext(ctx, c.outstanding)
	added = make([]bool, len(live))
	for i, r := range live {
		if r.fn != nil {
			if err := r.fn(ctx, tx); err != nil {
				tx.Rollback()
				return nil, i, unavailable("session", err)
			}
			continue
		}
		st, op := out, "add outstanding"
		if r.blacklist {
			st, op = bl, "blacklist"
		}
		res, err := st.ExecContext(ctx, r.args[:]...)
		if err == nil && r.blacklist {
			var n int64
			n, err = res.RowsAffected()
			added[i] = n == 1
		}
		if err != nil {
			tx.Rollback()
			return nil, i, unavailable(op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, -1, unavailable("commit", err)
	}
	c.commits.Add(1)
	return added, -1, nil
}
