package serve

import (
	"io"
	"net/http"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }

// parseMetrics parses a Prometheus text exposition into name{labels} →
// value (histograms as their _count and _sum).
func parseMetrics(t *testing.T, resp *http.Response) map[string]float64 {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			labels := ""
			for i, l := range m.GetLabel() {
				if i > 0 {
					labels += ","
				}
				labels += l.GetName() + "=\"" + l.GetValue() + "\""
			}
			key := name
			if labels != "" {
				key += "{" + labels + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				k := name + "_count"
				if labels != "" {
					k += "{" + labels + "}"
				}
				out[k] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}
