package compile

import (
	"slices"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/diag"
)

// UnitCompiler compiles flows into Units one at a time, before the
// interfaces of every flow of the repository are known: against those
// known so far, recording what each flow read of the others (Reads), so
// that a caller can compile a flow while it still holds the flow's parsed
// file and drop the file at once, and check afterwards, with the
// interfaces of the whole repository, that the Unit is the one
// CompileUnits would give (Final). A UnitCompiler is for one goroutine.
type UnitCompiler struct{ c *compiler }

// NewUnitCompiler returns a compiler of units against the interfaces known
// so far, in repository order. The diagnostics are an internal error's.
func NewUnitCompiler(cfg *ast.Config, known []Interface) (*UnitCompiler, diag.Diagnostics) {
	c := newCompiler(cfg, known)
	if ds := c.newEnv(); ds != nil {
		return nil, ds
	}
	return &UnitCompiler{c: c}, nil
}

// Reads is what compiling a flow read of the other flows of the
// repository.
type Reads struct {
	// Names is set when it read the name of every flow (an undefined
	// flow's did-you-mean).
	Names bool
	// Flows holds the interfaces it looked up, by name; nil for a name
	// that no flow had.
	Flows map[string]*Interface
}

// Unit compiles one flow as CompileUnits would against the known
// interfaces, and says what it read of them.
func (u *UnitCompiler) Unit(a *ast.Flow) (*Unit, Reads) {
	r := Reads{Flows: map[string]*Interface{}}
	u.c.reads = &r
	_, unit := u.c.unit(a)
	u.c.reads = nil
	delete(u.c.usedInputs, a.Name.Value)
	return unit, r
}

// Final returns, for the interfaces of every flow of a repository, in
// order, whether a Unit compiled with the given Reads is the Unit
// CompileUnits gives in that repository: it read every flow it looked up
// (no undefined flow, no list of names) and each as the repository has it.
func Final(ifaces []Interface) func(Reads) bool {
	byName := newCompiler(nil, ifaces).byName
	return func(r Reads) bool {
		if r.Names {
			return false
		}
		for name, in := range r.Flows {
			fin, ok := byName[name]
			if in == nil || !ok || !sameInterface(in, fin) {
				return false
			}
		}
		return true
	}
}

// sameInterface compares what compiling another flow reads of an
// interface (all of it but where the name is written).
func sameInterface(a, b *Interface) bool {
	return a.Name == b.Name && a.Kind == b.Kind && slices.Equal(a.Inputs, b.Inputs) && slices.Equal(a.Outputs, b.Outputs)
}

// flowNamed looks up the interface of the flow of that name, recording the
// read when reads is set.
func (c *compiler) flowNamed(name string) (*Interface, bool) {
	in, ok := c.byName[name]
	if c.reads != nil {
		c.reads.Flows[name] = in
	}
	return in, ok
}
