package history

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestQueue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		items := []QueueItem{
			{UUID: "e2", EventType: "user.lifecycle.deactivate", Published: "2026-11-02T09:00:02.000Z", UserKey: "00u2", EventJSON: `{"uuid":"e2"}`},
			{UUID: "e1", EventType: "user.lifecycle.deactivate", Published: "2026-11-02T09:00:01.000Z", UserKey: "00u1", EventJSON: `{"uuid":"e1"}`},
		}
		if n, err := s.Enqueue(ctx, items, t0); err != nil || n != 2 {
			t.Fatalf("enqueue: %d, %v", n, err)
		}
		// A redelivery is de-duplicated by uuid.
		if n, err := s.Enqueue(ctx, items[:1], t0.Add(time.Second)); err != nil || n != 0 {
			t.Fatalf("enqueue again: %d, %v", n, err)
		}
		q, err := s.Queue(ctx, QueueFilter{Status: QueueQueued})
		if err != nil || len(q) != 2 || q[0].UUID != "e1" || q[1].UUID != "e2" {
			t.Fatalf("queue: %v, %v", q, err)
		}
		if !q[0].ReceivedAt.Equal(t0) || q[0].EventJSON != `{"uuid":"e1"}` {
			t.Fatalf("item: %+v", q[0])
		}
		if err := s.Admit(ctx, "e1", `{"okta user id":["00u1"]}`, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(ctx, "e1", "leaver success", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Hold(ctx, "e2", "over the hourly limit", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Hold(ctx, "e2", "again", t0); err == nil {
			t.Fatal("holding a held event: no error")
		}
		d, err := s.QueueDepth(ctx)
		if err != nil || d[QueueQueued] != 0 || d[QueueHeld] != 1 || d[QueueDone] != 1 {
			t.Fatalf("depth: %v, %v", d, err)
		}
		p, err := s.PeopleSince(ctx, t0)
		if err != nil || len(p) != 1 {
			t.Fatalf("people: %v, %v", p, err)
		}
		if p, _ := s.PeopleSince(ctx, t0.Add(time.Nanosecond)); len(p) != 0 {
			t.Fatalf("people after: %v", p)
		}
		if _, err := s.Approve(ctx, []string{"e1"}, false, t0); err == nil || !strings.Contains(err.Error(), "not held") {
			t.Fatalf("approve a done event: %v", err)
		}
		got, err := s.Approve(ctx, nil, true, t0)
		if err != nil || len(got) != 1 || got[0] != "e2" {
			t.Fatalf("approve --all: %v, %v", got, err)
		}
		q, _ = s.Queue(ctx, QueueFilter{Status: QueueQueued})
		if len(q) != 1 || !q[0].Approved {
			t.Fatalf("approved: %+v", q)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLatestFiring(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if got, err := s.LatestFiring(ctx); err != nil || !got.IsZero() {
			t.Fatalf("empty: %v, %v", got, err)
		}
		at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		for i, key := range []string{"schedule@2026-11-02T02:00:00Z", "schedule@2026-11-03T02:00:00Z", "ev-1"} {
			r := run(fmt.Sprintf("run-%d", i), "nightly", key, "", "success", at)
			if err := s.InsertRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// A plan or dry-run firing is not a firing.
		r := run("run-dry", "nightly", "schedule@2026-11-09T02:00:00Z", "", "success", at)
		r.Mode = "dry-run"
		if err := s.InsertRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.LatestFiring(ctx)
		if err != nil || !got.Equal(time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)) {
			t.Fatalf("latest firing %v, %v", got, err)
		}
	})
}
