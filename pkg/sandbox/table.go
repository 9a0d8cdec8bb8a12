package sandbox

import (
	"net/http"
	"strings"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/effect"
)

// tableRoutes serves jml's table store (connector type table), which has
// no vendor API: POST /ACTION with the action's input as a JSON body and
// the idempotency key in an Idempotency-Key header, answered with the
// action's output, or {"message": …} and the status of a failure.
func tableRoutes(in *Instance, mux *http.ServeMux) {
	c, _ := catalog.Lookup("table")
	for _, name := range c.ActionNames() {
		action := name
		mux.HandleFunc("POST /"+action, func(w http.ResponseWriter, r *http.Request) {
			body, ok := in.ReadJSON(w, r)
			if !ok {
				return
			}
			out, err := in.Do(r.Context(), action, body, r.Header.Get("Idempotency-Key"))
			if err != nil {
				in.Error(w, err)
				return
			}
			in.JSON(w, http.StatusOK, out)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		in.Error(w, effect.HTTPError(http.StatusNotFound, "the table store answers POST /ACTION, ACTION one of "+strings.Join(c.ActionNames(), ", ")))
	})
}
