package cli

// Exit codes of jml, listed in `jml --help`.
const (
	// ExitOK: success (validate: no errors; plan --detailed-exitcode: no changes).
	ExitOK = 0
	// ExitError: errors found (validate), a run failed or halted, or jml
	// could not do what was asked.
	ExitError = 1
	// ExitChanges: plan --detailed-exitcode found changes.
	ExitChanges = 2
	// ExitNotChecked: verify found no orphaned account and no failed read,
	// but left accounts not checked (a github or activedirectory instance
	// without accountIdFrom, a profile without the attribute, a github
	// instance without org:): not proof that the leavers are gone.
	ExitNotChecked = 3
	// ExitUsage: the command line itself was wrong (unknown flag, bad argument).
	ExitUsage = 64
)

const exitCodesHelp = `Exit codes:
  0   success
  1   errors found, a run failed or halted, or jml could not do what was asked
  2   plan --detailed-exitcode: changes present
  3   verify: no orphaned account or failed read, but accounts not checked
  64  usage error (unknown command or flag, bad argument)`

// exitError carries an exit code out of a command without printing more.
type exitError struct{ code int }

func (e exitError) Error() string { return "exit" }
