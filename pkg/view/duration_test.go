package view

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{919028 * time.Nanosecond, "0.9ms"},
		{40 * time.Microsecond, "0.0ms"},
		{1213290 * time.Nanosecond, "1ms"},
		{28*time.Millisecond + 400*time.Microsecond, "28ms"},
		{999*time.Millisecond + 600*time.Microsecond, "1s"},
		{1340 * time.Millisecond, "1.3s"},
		{30 * time.Second, "30s"},
		{125*time.Second + 400*time.Millisecond, "2m5s"},
		{time.Hour, "1h0m0s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
