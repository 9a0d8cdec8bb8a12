package webui

import (
	"sort"
	"strconv"
	"time"

	"github.com/jml-dev/jml/pkg/history"
)

// chart is the overview's runs per day: a bar a day, stacked by status,
// drawn as SVG by the template (classes, no inline style: the page's CSS
// colours it, dark mode included).
type chart struct {
	Width, Height int
	Bars          []bar
	Labels        []label
	// Max is the most runs of a day; Empty says no day had any.
	Max   int
	Empty bool
}

type bar struct {
	X, Y, W, H string
	Status     string
	// Title is the bar's tooltip, and its text for a screen reader.
	Title string
}

type label struct {
	X, Y, Anchor, Text string
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 720
	chartHeight = 160
	chartTop    = 12
	chartBottom = 20
	chartLeft   = 36
)

// stackOrder is the order statuses are stacked in, from the bottom.
var stackOrder = []string{"success", "filtered", history.StatusRunning, history.StatusInterrupted, "halted", "failed"}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// runsChart draws days (RunsPerDay) over the period of n days from
// from.
func runsChart(days []history.DayCount, from time.Time, n int) chart {
	c := chart{Width: chartWidth, Height: chartHeight}
	per := map[string]map[string]int{}
	for _, d := range days {
		if per[d.Day] == nil {
			per[d.Day] = map[string]int{}
		}
		per[d.Day][d.Status] += d.Runs
	}
	for _, m := range per {
		t := 0
		for _, v := range m {
			t += v
		}
		c.Max = max(c.Max, t)
	}
	c.Empty = c.Max == 0
	plotH := float64(chartHeight - chartTop - chartBottom)
	slot := float64(chartWidth-chartLeft) / float64(n)
	w := max(slot*0.8, 1)
	base := float64(chartHeight - chartBottom)
	for i := 0; i < n; i++ {
		day := from.AddDate(0, 0, i).Format("2006-01-02")
		x := float64(chartLeft) + float64(i)*slot + (slot-w)/2
		y := base
		m := per[day]
		var other []string
		for st := range m {
			if !contains(stackOrder, st) {
				other = append(other, st)
			}
		}
		sort.Strings(other)
		for _, st := range append(append([]string{}, stackOrder...), other...) {
			v := m[st]
			if v == 0 {
				continue
			}
			h := plotH * float64(v) / float64(max(c.Max, 1))
			y -= h
			c.Bars = append(c.Bars, bar{X: num(x), Y: num(y), W: num(w), H: num(h), Status: st, Title: day + ": " + strconv.Itoa(v) + " " + st})
		}
		// A label under the first and last day, and every week between
		// on longer periods.
		if i == 0 || i == n-1 || (n > 14 && i%7 == 0 && n-1-i >= 4) {
			c.Labels = append(c.Labels, label{X: num(x + w/2), Y: num(float64(chartHeight) - 5), Anchor: "middle", Text: day[5:]})
		}
	}
	c.Labels = append(c.Labels,
		label{X: num(chartLeft - 6), Y: num(chartTop + 4), Anchor: "end", Text: strconv.Itoa(c.Max)},
		label{X: num(chartLeft - 6), Y: num(base), Anchor: "end", Text: "0"})
	return c
}
