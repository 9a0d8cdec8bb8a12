package webui

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// svgElements are the elements a flow drawing may hold: shapes, text,
// groups and arrow markers — nothing that runs, loads or embeds.
var svgElements = map[string]bool{
	"svg": true, "g": true, "path": true, "rect": true, "circle": true, "ellipse": true, "line": true,
	"polyline": true, "polygon": true, "text": true, "tspan": true, "title": true, "desc": true,
	"defs": true, "marker": true, "clipPath": true, "linearGradient": true, "radialGradient": true, "stop": true,
}

// checkSVG returns a drawing as it is embedded in a page, unescaped:
// without an XML declaration, and only if it is one <svg> element of
// svgElements with no event handler (on…), link (href, src), inline
// style or style element (the page's CSP would block those anyway).
func checkSVG(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	if bytes.HasPrefix(b, []byte("<?xml")) {
		if i := bytes.Index(b, []byte("?>")); i > 0 {
			b = bytes.TrimSpace(b[i+2:])
		}
	}
	if err := svgOK(b); err != nil {
		return nil, err
	}
	return b, nil
}

func svgOK(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed SVG: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if t.Name.Local != "svg" || roots > 1 {
					return errors.New("not one <svg> element")
				}
			}
			depth++
			if !svgElements[t.Name.Local] {
				return fmt.Errorf("element <%s> is not allowed", t.Name.Local)
			}
			for _, a := range t.Attr {
				name := strings.ToLower(a.Name.Local)
				if strings.HasPrefix(name, "on") || name == "href" || name == "style" || name == "src" {
					return fmt.Errorf("attribute %s of <%s> is not allowed", a.Name.Local, t.Name.Local)
				}
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return errors.New("text outside the <svg> element")
			}
		case xml.ProcInst, xml.Directive:
			return errors.New("processing instructions and directives are not allowed")
		}
	}
	if roots != 1 {
		return errors.New("no <svg> element")
	}
	return nil
}
