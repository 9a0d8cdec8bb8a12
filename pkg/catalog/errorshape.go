package catalog

import (
	"encoding/json"
	"strconv"
	"strings"
)

// ErrorShape is how a vendor writes the body of an error answer: what jml
// sandbox sends for a fault or a failed call, so that the real connectors
// read the sandbox's errors as they read the vendor's.
type ErrorShape struct {
	// Body is the body as JSON, in which a string that is exactly one of
	// these placeholders stands for a value: "{message}" the error
	// message, "{status}" the HTTP status (a number), "{code}" the
	// vendor's code for the status
	// (Codes), "{jmlCode}" jml's error code (not_found, conflict…),
	// "{JMLCODE}" that code in upper case.
	Body string `json:"body"`
	// Codes are the vendor's error codes by HTTP status: "404", else "5xx"
	// for a server error, else "*".
	Codes map[string]string `json:"codes,omitempty"`
}

// genericError is the error body of types that declare none: GitHub's
// and most REST APIs' {"message": …}.
var genericError = ErrorShape{Body: `{"message": "{message}"}`}

// ErrorBody returns the body a vendor of type typ answers an error with
// (Connector.Error, else {"message": …}), as a value for encoding/json.
func ErrorBody(typ string, status int, code, message string) any {
	shape := genericError
	if c, ok := catalogue[typ]; ok && c.Error != nil {
		shape = *c.Error
	}
	var body any
	if err := json.Unmarshal([]byte(shape.Body), &body); err != nil {
		panic("catalog: " + typ + " error body: " + err.Error()) // TestTypeFacts parses each
	}
	vendorCode := func() string {
		if v, ok := shape.Codes[strconv.Itoa(status)]; ok {
			return v
		}
		if v, ok := shape.Codes["5xx"]; ok && status >= 500 {
			return v
		}
		return shape.Codes["*"]
	}
	var fill func(v any) any
	fill = func(v any) any {
		switch v := v.(type) {
		case string:
			switch v {
			case "{message}":
				return message
			case "{status}":
				return status
			case "{code}":
				return vendorCode()
			case "{jmlCode}":
				return code
			case "{JMLCODE}":
				return strings.ToUpper(code)
			}
		case map[string]any:
			for k, x := range v {
				v[k] = fill(x)
			}
		case []any:
			for i, x := range v {
				v[i] = fill(x)
			}
		}
		return v
	}
	return fill(body)
}
