package world

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/effect"
)

// Fault is a failure injected into matching calls (world file `faults:`).
type Fault struct {
	// Action is INSTANCE.ACTION, or INSTANCE.* for every action of the
	// instance.
	Action string
	// User, when set, limits the fault to calls with a string input equal
	// to it (case-insensitively): a user id, login or email.
	User string
	// Status, when set, fails the call with this HTTP status; the action is
	// not performed.
	Status int
	// Times is how many calls the fault applies to; 0 means every call.
	Times int
	// RetryAfter is sent with Status.
	RetryAfter time.Duration
	// Latency delays the answer (on the world's clock). A latency at or
	// above the call's timeout makes the call time out; below it, a fault
	// with no Status or Timeout then performs the action.
	Latency time.Duration
	// Timeout makes the call get no answer: it fails with a timeout after
	// the call's timeout (DefaultTimeout when the request sets none).
	Timeout bool
	// Message is the error message of Status (default the status text).
	Message string
	// After applies the latency or timeout after the action is performed:
	// the vendor did the work, its answer is slow or never comes (the case
	// of a crash between a call and its record).
	After bool

	// at is where the fault is written, for diagnostics.
	at diag.Range
}

// faultState is a fault of a world with its remaining count.
type faultState struct {
	Fault
	// left is the number of calls the fault still applies to; unused when
	// Times is 0.
	left int
}

// AddFaults appends faults to the world's (after those already there: the
// first matching fault applies).
func (w *World) AddFaults(faults ...Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addFaults(faults)
}

func (w *World) addFaults(faults []Fault) {
	for _, f := range faults {
		w.faults = append(w.faults, &faultState{Fault: f, left: f.Times})
	}
}

// takeFault returns the first fault that matches the call and has tries
// left, counting the try. Caller holds w.mu.
func (w *World) takeFault(instance, action string, in map[string]any) *Fault {
	name := instance + "." + action
	for _, f := range w.faults {
		if f.Action != name && f.Action != instance+".*" {
			continue
		}
		if f.User != "" && !namesUser(in, f.User) {
			continue
		}
		if f.Times > 0 {
			if f.left <= 0 {
				continue
			}
			f.left--
		}
		cp := f.Fault
		return &cp
	}
	return nil
}

// namesUser reports whether any top-level string input equals user.
func namesUser(in map[string]any, user string) bool {
	for _, v := range in {
		if s, ok := v.(string); ok && strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(user)) {
			return true
		}
	}
	return false
}

// inject applies a fault before the action: it sleeps the latency on the
// clock and returns the timeout or status error, or nil when the action
// should then run. It runs without the world's lock, so that a real clock's
// sleep does not block other calls.
func (w *World) inject(ctx context.Context, f *Fault, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if f.Latency > 0 {
		if f.Latency >= timeout {
			if err := w.clk.Sleep(ctx, timeout); err != nil {
				return effect.AsError(err)
			}
			return effect.Timeout(timeout)
		}
		if err := w.clk.Sleep(ctx, f.Latency); err != nil {
			return effect.AsError(err)
		}
	}
	if f.Timeout {
		if err := w.clk.Sleep(ctx, timeout); err != nil {
			return effect.AsError(err)
		}
		return effect.Timeout(timeout)
	}
	if f.Status != 0 {
		msg := f.Message
		if msg == "" {
			msg = faultMessage(f.Status)
		}
		e := effect.HTTPError(f.Status, msg)
		e.RetryAfter = f.RetryAfter
		return e
	}
	return nil
}

// faultMessage is the default message of an injected status.
func faultMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "rate limit exceeded (injected fault)"
	case http.StatusNotFound:
		return "not found (injected fault)"
	}
	if t := http.StatusText(status); t != "" {
		return strings.ToLower(t[:1]) + t[1:] + " (injected fault)"
	}
	return fmt.Sprintf("HTTP %d (injected fault)", status)
}

// Faults returns the world's faults with the number of calls each still
// applies to (-1 for a fault without a limit), in order.
func (w *World) Faults() []FaultStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]FaultStatus, len(w.faults))
	for i, f := range w.faults {
		left := f.left
		if f.Times == 0 {
			left = -1
		}
		out[i] = FaultStatus{Fault: f.Fault, Left: left}
	}
	return out
}

// FaultStatus is a fault and how many more calls it applies to.
type FaultStatus struct {
	Fault
	// Left is the number of calls the fault still applies to, or -1 for a
	// fault without a limit.
	Left int
}

// Inject applies the faults of an action to a request the sandbox
// answers without running the action, because the request is one part of
// it: the Enterprise License Manager API's listForProduct, one product of
// google.listUserLicenses. It returns the fault's error (after its
// latency), or nil when no fault matches.
func (w *World) Inject(ctx context.Context, instance, action string, in map[string]any) error {
	w.mu.Lock()
	f := w.takeFault(instance, action, normalizeInput(in))
	w.mu.Unlock()
	if f == nil {
		return nil
	}
	return w.inject(ctx, f, 0)
}
