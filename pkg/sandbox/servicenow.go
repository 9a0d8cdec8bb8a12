package sandbox

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// snField is a field name in an encoded query.
var snField = regexp.MustCompile(`^[a-z0-9_]+$`)

// serviceNowRoutes registers the ServiceNow Table API: records are
// answered as {"result": {field: value…}} and lists as {"result": [...]}.
func serviceNowRoutes(in *Instance, mux *http.ServeMux) {
	const base = "/api/now/table/{table}"
	mux.HandleFunc("GET "+base, func(w http.ResponseWriter, r *http.Request) {
		// A list of the records matching sysparm_query: only conditions
		// FIELD=VALUE joined by ^ (what the connector's correlation_id
		// lookup sends), which World.Records answers. It is no catalogue
		// action, so faults do not apply.
		table := r.PathValue("table")
		if !snField.MatchString(table) {
			in.Error(w, effect.HTTPError(400, "Invalid table "+table))
			return
		}
		where, err := snQuery(r.URL.Query().Get("sysparm_query"))
		if err != nil {
			in.Error(w, err)
			return
		}
		limit := 10000
		if s := r.URL.Query().Get("sysparm_limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				in.Error(w, effect.HTTPError(400, "sysparm_limit must be a positive number, not "+strconv.Quote(s)))
				return
			}
			limit = n
		}
		recs := in.World().Records(in.Name, table, where)
		out := []any{}
		for i, rec := range recs {
			if i == limit {
				break
			}
			out = append(out, snFieldsOf(r, rec["fields"].(map[string]any)))
		}
		in.JSON(w, http.StatusOK, map[string]any{"result": out})
	})
	mux.HandleFunc("POST "+base, func(w http.ResponseWriter, r *http.Request) {
		fields, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		// The connector puts its idempotency key in correlation_id (unless
		// the flow sets one): the world keeps the field as sent, and derives
		// the record's sys_id and number from it as from the key in-process.
		key, _ := fields["correlation_id"].(string)
		out, err := in.Do(r.Context(), "createRecord", map[string]any{"table": r.PathValue("table"), "fields": fields}, key)
		if err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusCreated, map[string]any{"result": snRecord(in, r, out)})
	})
	mux.HandleFunc("GET "+base+"/{sys_id}", func(w http.ResponseWriter, r *http.Request) {
		out, err := in.Do(r.Context(), "getRecord", map[string]any{"table": r.PathValue("table"), "sysId": r.PathValue("sys_id")}, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		fields, _ := out["fields"].(map[string]any)
		in.JSON(w, http.StatusOK, map[string]any{"result": snFieldsOf(r, fields)})
	})
	update := func(w http.ResponseWriter, r *http.Request) {
		fields, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		out, err := in.Do(r.Context(), "updateRecord", map[string]any{"table": r.PathValue("table"), "sysId": r.PathValue("sys_id"), "fields": fields}, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusOK, map[string]any{"result": snRecord(in, r, out)})
	}
	mux.HandleFunc("PATCH "+base+"/{sys_id}", update)
	mux.HandleFunc("PUT "+base+"/{sys_id}", update)
}

// snRecord returns the fields of the record an action answered {sys_id,
// number} about, as the Table API answers a create or an update.
func snRecord(in *Instance, r *http.Request, out map[string]any) map[string]any {
	id, _ := out["sys_id"].(string)
	for _, rec := range in.World().Records(in.Name, r.PathValue("table"), map[string]string{"sys_id": id}) {
		return snFieldsOf(r, rec["fields"].(map[string]any))
	}
	return out
}

// snFieldsOf keeps the fields sysparm_fields lists, when it is set.
func snFieldsOf(r *http.Request, fields map[string]any) map[string]any {
	list := r.URL.Query().Get("sysparm_fields")
	if list == "" {
		return fields
	}
	out := map[string]any{}
	for _, f := range strings.Split(list, ",") {
		if v, ok := fields[strings.TrimSpace(f)]; ok {
			out[strings.TrimSpace(f)] = v
		}
	}
	return out
}

// snQuery parses an encoded query of FIELD=VALUE conditions joined by ^.
// Other operators (!=, LIKE, ^OR, ORDERBY…) are refused with a 400 rather
// than ignored, so that a lookup never matches more than it asks.
func snQuery(q string) (map[string]string, *effect.Error) {
	where := map[string]string{}
	if q == "" {
		return where, nil
	}
	for _, cond := range strings.Split(q, "^") {
		f, v, ok := strings.Cut(cond, "=")
		if !ok || !snField.MatchString(f) || strings.HasPrefix(v, "=") {
			return nil, effect.HTTPError(400, "the sandbox supports only FIELD=VALUE conditions joined by ^ in sysparm_query, not "+strconv.Quote(cond))
		}
		where[f] = v
	}
	return where, nil
}
