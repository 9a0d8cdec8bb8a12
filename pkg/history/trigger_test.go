package history

import (
	"strings"
	"testing"
	"time"
)

// TestDecodeTrigger: what a recorded run is run again for — its event, or
// its schedule instant — and the errors that name the run.
func TestDecodeTrigger(t *testing.T) {
	ev := `{"uuid":"e1","eventType":"user.lifecycle.deactivate","published":"2026-01-05T09:00:00Z"}`
	tests := []struct {
		name string
		row  RunRow
		uuid string
		at   time.Time
		err  string
	}{
		{"event", RunRow{ID: "run-1", Event: "e1", EventJSON: ev}, "e1", time.Time{}, ""},
		{"schedule", RunRow{ID: "run-2", Event: "schedule@2026-01-05T02:00:00Z"}, "", time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC), ""},
		{"bad instant", RunRow{ID: "run-3", Event: "schedule@monday"}, "", time.Time{}, `run run-3: schedule instant "monday"`},
		{"no event", RunRow{ID: "run-4", Event: "e4"}, "", time.Time{}, "run run-4 recorded no event (a schedule run?): it cannot be replayed"},
		{"unreadable event", RunRow{ID: "run-5", Event: "e5", EventJSON: "{"}, "", time.Time{}, "run run-5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, at, err := tt.row.DecodeTrigger()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.uuid == "") || got != nil && got.UUID != tt.uuid || !at.Equal(tt.at) {
				t.Errorf("event %v at %v, want %q at %v", got, at, tt.uuid, tt.at)
			}
		})
	}
}
