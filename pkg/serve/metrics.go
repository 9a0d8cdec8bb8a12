package serve

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
	"github.com/jml-dev/jml/pkg/history"
)

// Metrics are jml serve's Prometheus metrics, in a registry of their own
// (no global state). Every method is safe on a nil *Metrics.
type Metrics struct {
	reg        *prometheus.Registry
	deliveries *prometheus.CounterVec
	ack        prometheus.Histogram
	events     *prometheus.CounterVec
	runs       *prometheus.CounterVec
	cards      *prometheus.HistogramVec
	throttled  *prometheus.CounterVec
	heldTotal  prometheus.Counter
	starts     *prometheus.CounterVec
}

// NewMetrics registers the metrics; the queue depth is read from store at
// each scrape.
func NewMetrics(store *history.Store) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jml_serve_deliveries_total",
			Help: "Event hook requests, by result (ok, verified, unauthorized, too_large, bad_request, error, bad_method)."}, []string{"result"}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "jml_serve_ack_seconds",
			Help: "Time to answer an event hook request (Okta waits 3 s).", Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3}}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jml_serve_events_received_total",
			Help: "Events received, by whether they were new or a redelivery (duplicate)."}, []string{"kind"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jml_serve_runs_total",
			Help: "Flow runs ended, by flow and status."}, []string{"flow", "status"}),
		cards: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "jml_serve_card_duration_seconds",
			Help: "Action and call card latency, retries included, by flow and action.", Buckets: prometheus.DefBuckets}, []string{"flow", "action"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jml_serve_vendor_throttled_total",
			Help: "Vendor answers 429 (rate limited), by connector instance."}, []string{"instance"}),
		heldTotal: prometheus.NewCounter(prometheus.CounterOpts{Name: "jml_serve_events_held_total",
			Help: "Events held by the hourly guardrail."}),
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jml_serve_workflow_starts_total",
			Help: "jml serve --temporal: events handed to Temporal, by result (started: their workflows started or already there; failed: left queued)."}, []string{"result"}),
	}
	depth := prometheus.NewDesc("jml_serve_queue_depth", "Events in the queue, by status (queued, held, done).", []string{"status"}, nil)
	m.reg.MustRegister(m.deliveries, m.ack, m.events, m.runs, m.cards, m.throttled, m.heldTotal, m.starts,
		collector{desc: depth, collect: func(ch chan<- prometheus.Metric) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			d, err := store.QueueDepth(ctx)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(depth, err)
				return
			}
			for st, n := range d {
				ch <- prometheus.MustNewConstMetric(depth, prometheus.GaugeValue, float64(n), st)
			}
		}})
	return m
}

// collector is a metric read at scrape time.
type collector struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c collector) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *Metrics) delivery(result string, d time.Duration) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(result).Inc()
	m.ack.Observe(d.Seconds())
}

func (m *Metrics) received(added, dup int) {
	if m == nil {
		return
	}
	m.events.WithLabelValues("new").Add(float64(added))
	m.events.WithLabelValues("duplicate").Add(float64(dup))
}

func (m *Metrics) run(r *engine.Run) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(r.Flow, string(r.Status)).Inc()
}

func (m *Metrics) started(ok bool) {
	if m == nil {
		return
	}
	m.starts.WithLabelValues(map[bool]string{true: "started", false: "failed"}[ok]).Inc()
}

func (m *Metrics) held() {
	if m == nil {
		return
	}
	m.heldTotal.Inc()
}

// Observer hears the engine's cards (their latency); it goes after the
// recorder (Recorder.Next).
func (m *Metrics) Observer() engine.Observer { return cardObserver{m: m} }

type cardObserver struct {
	engine.NopObserver
	m *Metrics
}

func (o cardObserver) CardFinished(r *engine.Run, c *engine.CardTrace) {
	if o.m == nil || c.Action == "" {
		return
	}
	o.m.cards.WithLabelValues(r.Flow, c.Action).Observe(c.Duration.Seconds())
}

// Effector wraps the connectors to count the vendors' 429 answers.
func (m *Metrics) Effector(inner effect.Effector) effect.Effector {
	return throttleCounter{m: m, inner: inner}
}

type throttleCounter struct {
	m     *Metrics
	inner effect.Effector
}

func (t throttleCounter) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	out, err := t.inner.Do(ctx, req)
	if ee := (*effect.Error)(nil); t.m != nil && errors.As(err, &ee) && ee.Status == http.StatusTooManyRequests {
		t.m.throttled.WithLabelValues(req.Instance).Inc()
	}
	return out, err
}
