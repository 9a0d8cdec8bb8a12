package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// host is the host requests are checked under: the descriptions' servers
// are replaced by it, keeping their base paths.
const host = "http://contract.test"

// openAPI is an OpenAPI 3 description (OpenAPI 2 ones are converted).
type openAPI struct {
	doc    *openapi3.T
	router routers.Router
}

func loadOpenAPI(path string) (*openAPI, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Swagger string `json:"swagger"`
	}
	_ = json.Unmarshal(b, &probe)
	var doc *openapi3.T
	if probe.Swagger != "" {
		var d2 openapi2.T
		if err := json.Unmarshal(b, &d2); err != nil {
			return nil, err
		}
		if doc, err = openapi2conv.ToV3(&d2); err != nil {
			return nil, err
		}
	} else {
		loader := openapi3.NewLoader()
		if doc, err = loader.LoadFromData(b); err != nil {
			return nil, err
		}
	}
	base := ""
	if len(doc.Servers) > 0 {
		u := doc.Servers[0].URL
		for name, v := range doc.Servers[0].Variables {
			u = strings.ReplaceAll(u, "{"+name+"}", v.Default)
		}
		if p, err := url.Parse(u); err == nil {
			base = strings.TrimSuffix(p.Path, "/")
		}
	}
	doc.Servers = openapi3.Servers{{URL: host + base}}
	r, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	if err != nil {
		return nil, err
	}
	return &openAPI{doc: doc, router: r}, nil
}

func (o *openAPI) check(ex *exchange) (string, []string) {
	req, err := http.NewRequest(ex.Method, host+ex.Path+queryString(ex.Query), bytes.NewReader(ex.Body))
	if err != nil {
		return "", []string{err.Error()}
	}
	req.Header = ex.Header.Clone()
	route, params, err := o.router.FindRoute(req)
	if err != nil {
		return "", []string{fmt.Sprintf("%s %s: no operation of the description: %v", ex.Method, ex.Path, err)}
	}
	op := ex.Method + " " + route.Path
	var problems []string
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		problems = append(problems, "request: "+oneLine(err))
	}
	if route.Operation.RequestBody == nil && len(ex.Body) > 0 {
		problems = append(problems, "request: a body, where the operation takes none")
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.Status, Header: ex.RespHeader,
		Body:    io.NopCloser(bytes.NewReader(ex.RespBody)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		problems = append(problems, fmt.Sprintf("sandbox response %d: %s", ex.Status, oneLine(err)))
	}
	return op, problems
}

// declares reports whether the exchange's operation describes an answer
// with the status, by its code, its class (4XX) or default.
func (o *openAPI) declares(ex *exchange, status int) bool {
	req, err := http.NewRequest(ex.Method, host+ex.Path+queryString(ex.Query), nil)
	if err != nil {
		return false
	}
	route, _, err := o.router.FindRoute(req)
	if err != nil || route.Operation.Responses == nil {
		return false
	}
	r := route.Operation.Responses
	return r.Status(status) != nil || r.Value(fmt.Sprintf("%dXX", status/100)) != nil || r.Default() != nil
}

// scopes returns, for each alternative security requirement of the
// exchange's operation, the OAuth 2.0 scopes it asks for (nil when the
// operation names no OAuth 2.0 requirement).
func (o *openAPI) scopes(ex *exchange) [][]string {
	req, err := http.NewRequest(ex.Method, host+ex.Path+queryString(ex.Query), nil)
	if err != nil {
		return nil
	}
	route, _, err := o.router.FindRoute(req)
	if err != nil {
		return nil
	}
	sec := route.Operation.Security
	if sec == nil {
		sec = &o.doc.Security
	}
	var alts [][]string
	for _, reqmt := range *sec {
		for name, scopes := range reqmt {
			ref := o.doc.Components.SecuritySchemes[name]
			if ref != nil && ref.Value != nil && ref.Value.Type == "oauth2" {
				alts = append(alts, scopes)
			}
		}
	}
	return alts
}

func queryString(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// oneLine shortens a validation error to its lines that say what is wrong
// (kin-openapi appends the schema and the value).
func oneLine(err error) string {
	var keep []string
	skip := false
	for _, l := range strings.Split(err.Error(), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "Schema:"), strings.HasPrefix(t, "Value:"):
			skip = true
			continue
		case t == "":
			skip = false
			continue
		case skip && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") || strings.HasPrefix(t, "{") || strings.HasPrefix(t, "}") || strings.HasPrefix(t, "\"")):
			continue
		}
		skip = false
		keep = append(keep, t)
	}
	return strings.Join(keep, " | ")
}
