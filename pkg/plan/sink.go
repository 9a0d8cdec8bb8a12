package plan

// Sink hears a plan as it is made, one event at a time: Begin with the
// head (the repository's digest and files, known before any event), Event
// for each event as its runs finish, End with the summary once every event
// is in. The renderers of jml plan (text, json, markdown, the -o file)
// are sinks that write as they hear, so that a plan of any number of
// events is never held whole (SPEC §11); a *Plan is the sink that keeps
// everything, for the callers that need the plan whole (apply's
// confirmation, plan --compare, history diff).
//
// A sink reads nothing it is given after the call returns: the planner
// may drop it.
type Sink interface {
	Begin(digest string, files map[string]string) error
	Event(ev Event) error
	End(s Summary) error
}

// InputSink is a sink that also saves the plan's inputs (jml plan -o):
// Input hears each event's raw LogEvent as it is read, before the event.
type InputSink interface {
	Sink
	Input(raw map[string]any) error
}

// Begin starts a collected plan.
func (p *Plan) Begin(digest string, files map[string]string) error {
	if files == nil {
		files = map[string]string{}
	}
	p.FormatVersion, p.Digest, p.Files = FormatVersion, digest, files
	if p.Events == nil {
		p.Events = []Event{}
	}
	return nil
}

// Event keeps an event.
func (p *Plan) Event(ev Event) error {
	p.Events = append(p.Events, ev)
	return nil
}

// End keeps the summary.
func (p *Plan) End(s Summary) error {
	p.Summary = s
	return nil
}

// Stream hands a whole plan to a sink, as the planner would have: one
// renderer for a plan streamed as it is made and for a plan held whole.
// An InputSink hears the plan's inputs too.
func (p *Plan) Stream(s Sink) error {
	if err := s.Begin(p.Digest, p.Files); err != nil {
		return err
	}
	if in, ok := s.(InputSink); ok && p.Inputs != nil {
		for _, raw := range p.Inputs.Events {
			if err := in.Input(raw); err != nil {
				return err
			}
		}
	}
	for _, ev := range p.Events {
		if err := s.Event(ev); err != nil {
			return err
		}
	}
	return s.End(p.Summary)
}

var _ Sink = (*Plan)(nil)
