// Command gen converts Okta's event-type catalogue into the compact,
// sorted JSON file that package eventtypes embeds.
//
// The input is the catalogue published in okta/okta-developer-docs
// (packages/@okta/vuepress-site/data/event-types.json). Only the first
// entry of .versions is read; its .eventTypes are reduced to the fields
// jml needs and written sorted by id, one event type per line, so that a
// regeneration produces a readable diff.
//
// It is run from package eventtypes by go generate:
//
//	go run ./internal/gen -src ../../../shared/reference/okta/event-types.json -out event-types.json
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// defaultSource records where the catalogue was taken from.
const defaultSource = "okta/okta-developer-docs@468de9c511b5e4009bb5f06c25cbf4b85fecb8d0 packages/@okta/vuepress-site/data/event-types.json"

// hookEligibleTag marks event types that an Okta event hook can deliver.
const hookEligibleTag = "event-hook-eligible"

// catalogue is the subset of Okta's event-types.json that gen reads.
type catalogue struct {
	Release  string `json:"release"`
	Versions []struct {
		Version    string `json:"version"`
		EventTypes []struct {
			ID          string   `json:"id"`
			Category    string   `json:"category"`
			Description string   `json:"description"`
			Beta        bool     `json:"beta"`
			Internal    bool     `json:"internal"`
			Tags        []string `json:"tags"`
		} `json:"eventTypes"`
	} `json:"versions"`
}

// eventType is one line of the generated file. Field order is the output order.
type eventType struct {
	ID           string `json:"id"`
	Description  string `json:"description"`
	Category     string `json:"category"`
	HookEligible bool   `json:"hookEligible"`
	Beta         bool   `json:"beta"`
	Internal     bool   `json:"internal"`
}

func main() {
	src := flag.String("src", "", "path to Okta's event-types.json (required)")
	out := flag.String("out", "event-types.json", "path of the file to write")
	source := flag.String("source", defaultSource, "provenance recorded in the output's source field")
	flag.Parse()
	if *src == "" {
		fmt.Fprintln(os.Stderr, "gen: -src is required")
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*src, *out, *source); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(src, out, source string) error {
	in, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	data, n, err := convert(bytes.NewReader(in), source)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: wrote %d event types to %s\n", n, out)
	return nil
}

// convert reads a catalogue and returns the generated file and the number
// of event types in it.
func convert(r io.Reader, source string) ([]byte, int, error) {
	var c catalogue
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return nil, 0, fmt.Errorf("decoding catalogue: %w", err)
	}
	if c.Release == "" {
		return nil, 0, errors.New("catalogue has no release")
	}
	if len(c.Versions) == 0 || len(c.Versions[0].EventTypes) == 0 {
		return nil, 0, errors.New("catalogue has no .versions[0].eventTypes")
	}

	types := make([]eventType, 0, len(c.Versions[0].EventTypes))
	seen := make(map[string]bool, len(c.Versions[0].EventTypes))
	for i, e := range c.Versions[0].EventTypes {
		id := strings.TrimSpace(e.ID)
		if id == "" {
			return nil, 0, fmt.Errorf("event type #%d has no id", i)
		}
		if strings.ContainsAny(id, "* \t\n") {
			return nil, 0, fmt.Errorf("event type id %q contains a space or '*'", id)
		}
		if seen[id] {
			return nil, 0, fmt.Errorf("duplicate event type id %q", id)
		}
		seen[id] = true
		types = append(types, eventType{
			ID:           id,
			Description:  strings.TrimSpace(e.Description),
			Category:     e.Category,
			HookEligible: slices.Contains(e.Tags, hookEligibleTag),
			Beta:         e.Beta,
			Internal:     e.Internal,
		})
	}
	slices.SortFunc(types, func(a, b eventType) int { return strings.Compare(a.ID, b.ID) })

	var buf bytes.Buffer
	buf.WriteString(`{"source":`)
	if err := writeJSON(&buf, source); err != nil {
		return nil, 0, err
	}
	buf.WriteString(`,"release":`)
	if err := writeJSON(&buf, c.Release); err != nil {
		return nil, 0, err
	}
	buf.WriteString(`,"eventTypes":[`)
	for i, t := range types {
		buf.WriteString("\n")
		if err := writeJSON(&buf, t); err != nil {
			return nil, 0, err
		}
		if i < len(types)-1 {
			buf.WriteString(",")
		}
	}
	buf.WriteString("\n]}\n")
	return buf.Bytes(), len(types), nil
}

// writeJSON appends the compact encoding of v without HTML escaping, so
// descriptions containing <, > or & stay readable.
func writeJSON(buf *bytes.Buffer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return nil
}
