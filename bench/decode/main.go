// Command decode is the yardstick of bench/replay.sh (SPEC §11: replay in
// plan mode no slower than merely decoding the same JSON): it decodes
// every line of an NDJSON file into a map[string]any with encoding/json,
// and nothing else, and prints how many it decoded.
//
//	go run ./bench/decode FILE
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: decode FILE")
		os.Exit(64)
	}
	n, err := decode(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "decode:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}

func decode(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	n := 0
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				return n, fmt.Errorf("line %d: %w", n+1, err)
			}
			n++
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
