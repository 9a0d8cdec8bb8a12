// Command serveload delivers events to a jml serve at a fixed rate, one
// Okta Event Hook envelope per event, and reports the acknowledgement
// times: p50, p99 and max, and p99 as a ratio to Okta's 3-second window.
// It exits 1 when a delivery is not answered 200. bench/serve.sh runs it.
//
// Usage: serveload -url URL -auth VALUE -rate 100 EVENTS.ndjson
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "the hook's URL (http://HOST:PORT/hooks/okta)")
	auth := flag.String("auth", "", "the Authorization header's value")
	rate := flag.Float64("rate", 100, "deliveries per second")
	flag.Parse()
	if *url == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: serveload -url URL -auth VALUE [-rate N] EVENTS.ndjson")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var bodies [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		bodies = append(bodies, []byte(`{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","contentType":"application/json","data":{"events":[`+string(line)+`]}}`))
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	lat := make([]time.Duration, len(bodies))
	var mu sync.Mutex
	failed := 0
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	start := time.Now()
	for i, b := range bodies {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, *url, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", *auth)
			t0 := time.Now()
			resp, err := client.Do(req)
			d := time.Since(t0)
			ok := err == nil && resp.StatusCode == http.StatusOK
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			mu.Lock()
			lat[i] = d
			if !ok {
				failed++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	p99 := q(0.99)
	fmt.Printf("deliveries: %d in %s (%.1f/s), failed: %d\n", len(lat), wall.Round(time.Millisecond), float64(len(lat))/wall.Seconds(), failed)
	fmt.Printf("ack p50 %s, p99 %s, max %s; p99 / Okta's 3s = %.4f\n", q(0.5), p99, lat[len(lat)-1], p99.Seconds()/3)
	if failed > 0 {
		os.Exit(1)
	}
}
