package view

import (
	"fmt"
	"time"
)

// Duration writes a duration as a reader wants it, rounded to what
// matters at its scale: 0.4ms, 28ms, 1.3s, 2m5s — not 919.028µs.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
