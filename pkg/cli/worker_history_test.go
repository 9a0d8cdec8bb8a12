package cli

import "testing"

// TestNewCmdWorkerHistory: the worker records in the store of --history,
// else of jml.yaml (openHistory), as apply does.
func TestNewCmdWorkerHistory(t *testing.T) {
	base := WorkerOptions{Color: "never", Config: "jml.yaml", Temporal: "127.0.0.1:7233", Namespace: "default", TaskQueue: "jml", LogFormat: "text"}
	flag := base
	flag.History = "postgres://jml@db/jml"
	testFlags(t, newWorkerCmd, []flagCase[WorkerOptions]{
		{name: "jml.yaml's history", args: []string{"--temporal", "127.0.0.1:7233"}, want: &base},
		{name: "--history", args: []string{"--temporal", "127.0.0.1:7233", "--history", "postgres://jml@db/jml"}, want: &flag},
	})
}
