package connector

import (
	"net/http"
	"strings"
)

// NextLink returns the target of the first rel="next" entry of the RFC 8288
// Link headers of h, or "". The target is returned as written (it may be
// relative); commas and semicolons inside <…> or a quoted parameter do not
// split entries (an Okta filter in a next link may hold either).
func NextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, l := range parseLinks(v) {
			for _, rel := range strings.Fields(l.rel) {
				if strings.EqualFold(rel, "next") {
					return l.target
				}
			}
		}
	}
	return ""
}

// link is one entry of a Link header: its target and rel parameter.
type link struct{ target, rel string }

// parseLinks reads the entries of one Link header value. Malformed entries
// are skipped; it never panics.
func parseLinks(v string) []link {
	var out []link
	i := 0
	for i < len(v) {
		// An entry starts at '<'; anything before it is junk of a bad entry.
		lt := strings.IndexByte(v[i:], '<')
		if lt < 0 {
			break
		}
		i += lt + 1
		gt := strings.IndexByte(v[i:], '>')
		if gt < 0 {
			break
		}
		l := link{target: strings.TrimSpace(v[i : i+gt])}
		i += gt + 1
		// Parameters up to the next ',' outside quotes.
		for i < len(v) {
			for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
				i++
			}
			if i >= len(v) || v[i] == ',' {
				break
			}
			if v[i] != ';' {
				// Not a parameter: skip to the next entry.
				for i < len(v) && v[i] != ',' {
					i++
				}
				break
			}
			i++
			start := i
			for i < len(v) && v[i] != '=' && v[i] != ';' && v[i] != ',' {
				i++
			}
			name := strings.TrimSpace(v[start:i])
			val := ""
			if i < len(v) && v[i] == '=' {
				i++
				for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
					i++
				}
				if i < len(v) && v[i] == '"' {
					i++
					var b strings.Builder
					for i < len(v) && v[i] != '"' {
						if v[i] == '\\' && i+1 < len(v) {
							i++
						}
						b.WriteByte(v[i])
						i++
					}
					if i < len(v) {
						i++ // the closing quote
					}
					val = b.String()
				} else {
					start := i
					for i < len(v) && v[i] != ';' && v[i] != ',' {
						i++
					}
					val = strings.TrimSpace(v[start:i])
				}
			}
			if strings.EqualFold(name, "rel") && l.rel == "" {
				l.rel = val
			}
		}
		if l.target != "" || l.rel != "" {
			out = append(out, l)
		}
	}
	return out
}
