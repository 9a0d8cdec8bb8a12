// Command jml is the joiner / mover / leaver automation CLI. See README.md.
package main

import (
	"os"
	_ "time/tzdata" // schedule time zones work on machines without a zoneinfo database

	"github.com/jml-dev/jml/pkg/cli"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version string

func main() {
	os.Exit(cli.Run(cli.System(), os.Args[1:], version))
}
