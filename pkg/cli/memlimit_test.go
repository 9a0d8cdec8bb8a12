package cli

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestReplayMemoryLimit: dry-run and plan set ReplayMemoryLimit while they
// replay and put back what was there; a limit set before (GOMEMLIMIT, or
// a program embedding jml) is left alone. Not parallel: the limit is the
// process's.
func TestReplayMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(prev)

	restore := replayMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got != ReplayMemoryLimit {
		t.Errorf("limit while replaying %d, want %d", got, ReplayMemoryLimit)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit after replaying %d, want none (%d)", got, int64(math.MaxInt64))
	}

	debug.SetMemoryLimit(1 << 30)
	restore = replayMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("a limit set before was changed to %d", got)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("a limit set before is %d after replaying", got)
	}
}
