// Package historytest gives tests a PostgreSQL history of their own: the
// one place the tests of every package that keeps data in the history
// database (pkg/history, the table connector) make one.
package historytest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver, as pkg/history opens it
)

// PostgresURL returns the URL of a new, empty schema of its own on the
// test server JML_TEST_POSTGRES_URL names (.ci/run starts one), dropped
// when the test ends; it skips the test without a server. Every store
// opened on the URL is the same history.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("JML_TEST_POSTGRES_URL")
	if base == "" {
		tb.Skip("JML_TEST_POSTGRES_URL is not set (.ci/run sets it)")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if a, err := sql.Open("pgx", base); err == nil {
			a.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
