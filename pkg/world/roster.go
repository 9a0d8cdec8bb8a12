package world

import (
	"hash/maphash"
	"slices"
	"strings"
)

// Lazy seeding (issue #12, SPEC §11). Every user an event names is seeded
// into every open instance (SeedEvent); done eagerly, a log of a tenant's
// sign-ins made the world hold a full account per user per app — about
// 2 KB a user, the largest part of a replay's memory. Instead, SeedEvent
// writes each user once, compactly, to the world's roster (an id, a login,
// a display name and what the seed depends on: the Okta status it would
// give, whether it was a joiner then), and an instance takes a roster
// entry into its model — runs the very seed the event would have run —
// only when something could see it there:
//
//   - a call on the instance: first every entry that shares a key with a
//     string of the call's input (an id, a login or email, its short name,
//     each as given, lower-cased and case-folded), and, transitively,
//     every entry that shares a key with those; a lookup a model makes of
//     a key the input does not hold (Okta's getManager) pulls that key too;
//   - the lifecycle status an event records: the entries its target names;
//   - a listing (Okta's listUsers), State and Clone: every entry.
//
// Why the answers cannot differ: a seed reads and writes a model only
// under the user's keys (its id, login or email and short name, each
// normalised as above), no model ever removes a user, and a call reads or
// writes a key only through a lookup of a key its input holds or one the
// model pulls first — Okta's updateUserProfile pulls the login it takes a
// user away from, the only call that changes a key a seed reads. So an
// entry still waiting finds its instance, under its keys, exactly as it
// was when the event seeded it, and entries sharing keys are taken in
// event order. The
// one thing a model looks up that is not derived from those keys is a
// generated id (a Google or Salesforce id from a hash of the email): a run
// can only learn one from a call that pulled the user, and two hashes
// colliding (62^12 and more candidates) would be needed for a waiting
// user to change another's id. Keys are hashed; a collision only pulls
// more entries than needed, which is always safe.
//
// The memory SeedEvent kept of users every instance holds (w.seeded)
// becomes "users the roster holds": a second event naming them adds
// nothing. When Okta, taking an entry, does not end up holding the user by
// id (another user has that login), the user is forgotten, so the next
// event naming them is seeded again, as eager seeding would.
//
// World.eager turns all of this off, for the tests that compare the two.

// rosterEntry is one user as one event seeded it.
type rosterEntry struct {
	u User
	// staged: Okta seeds the user STAGED (the target of
	// user.lifecycle.create), not ACTIVE.
	staged bool
	// joiner: the user was a joiner when the event named them, so the
	// apps whose accounts flows create skip this entry.
	joiner bool
	// taken has bit i set once the instance of index i (in World.names)
	// took the entry (or had no reason to).
	taken uint64
}

// rosterLink chains the entries under one key hash.
type rosterLink struct {
	entry, next int32 // next is an index into links, plus one (0 ends)
}

// roster is the world's lazily seeded users.
type roster struct {
	entries []rosterEntry
	heads   map[uint64]int32 // key hash → first link, plus one
	links   []rosterLink
	seed    maphash.Seed
	// joiners holds, per joiner (by id and login), its newest entry, for
	// repeats (see repeats).
	joiners map[seedKey]int32
}

// maxLazyInstances is the most instances a roster entry's taken bits can
// count; a world with more seeds eagerly.
const maxLazyInstances = 64

// keyHashes appends the hashes of the keys a model may look s up by: s
// trimmed, lower-cased and case-folded, and the same of its short name
// (the part before the @).
func (r *roster) keyHashes(hs []uint64, s string) []uint64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return hs
	}
	add := func(k string) {
		h := maphash.String(r.seed, k)
		if !slices.Contains(hs, h) {
			hs = append(hs, h)
		}
	}
	for _, k := range []string{s, localPart(s)} {
		add(k)
		add(lower(k))
		add(foldKey(k))
	}
	return hs
}

// userHashes are the key hashes of a user: its id, login and email.
func (r *roster) userHashes(hs []uint64, u User) []uint64 {
	hs = r.keyHashes(hs, u.ID)
	hs = r.keyHashes(hs, u.Login)
	return r.keyHashes(hs, userEmail(u))
}

// enroll adds an entry for u.
func (w *World) enroll(u User, staged, joiner bool) {
	r := &w.roster
	if r.heads == nil {
		r.heads = map[uint64]int32{}
		r.seed = maphash.MakeSeed()
	}
	e := int32(len(r.entries))
	r.entries = append(r.entries, rosterEntry{u: u, staged: staged, joiner: joiner})
	if joiner && u.ID != "" && len(u.Profile) == 0 {
		if r.joiners == nil {
			r.joiners = map[seedKey]int32{}
		}
		r.joiners[seedKey{u.ID, u.Login}] = e
	}
	for _, h := range r.userHashes(nil, u) {
		r.links = append(r.links, rosterLink{entry: e, next: r.heads[h]})
		r.heads[h] = int32(len(r.links))
	}
}

// repeats reports whether an entry for joiner u (with an id and no
// profile fields: SeedEvent's remember) would be one the roster holds
// already — same user, same staged, a joiner too — whose seed a second
// entry would only run again to no effect, so that it can be left out.
// A replay's joiners are not remembered (they skip the apps flows create
// their accounts in), so a log that creates the same people over and over
// would otherwise add an entry an event.
//
// Why a repeat changes nothing: every model's seed returns at once when it
// finds the user (Okta by id or by email, the others by email) and
// otherwise adds them under those keys; no model ever removes a user, and
// only Okta lets a call change a key (see SeedEvent's memory of users
// seeded). Per instance, the earlier entry e1 is either
//   - not taken yet: the two have the same keys, so whatever pulls the
//     repeat pulls e1 too, in the same pull, before it, with no call in
//     between — after e1's seed the user is there, and the repeat's seed
//     finds them;
//   - taken: the user has been there since, by email (no call changes it
//     outside Okta) — and in Okta by id only if it holds them by id now
//     (ids never change); if Okta found them by email only, a call may
//     have taken that login away since, so the repeat is kept.
func (w *World) repeats(u User, staged bool) bool {
	r := &w.roster
	e, ok := r.joiners[seedKey{u.ID, u.Login}]
	if !ok {
		return false
	}
	en := &r.entries[e]
	if !en.joiner || en.staged != staged || en.u.DisplayName != u.DisplayName || len(en.u.Profile) != 0 {
		return false
	}
	for _, name := range w.names {
		inst := w.instances[name]
		if inst.described || inst.m == nil || en.taken&(uint64(1)<<inst.idx) == 0 {
			continue
		}
		if o, ok := inst.m.(*oktaModel); ok && o.users[u.ID] == nil {
			return false
		}
	}
	return true
}

// lazy reports whether SeedEvent writes to the roster.
func (w *World) lazy() bool { return !w.eager && len(w.names) <= maxLazyInstances }

// pull has the instance take the roster entries a lookup of any of keys
// could find, and those sharing a key with them, in event order.
func (w *World) pull(inst *instance, keys ...string) {
	if len(w.roster.entries) == 0 || inst.described || inst.m == nil {
		return
	}
	var hs []uint64
	for _, k := range keys {
		hs = w.roster.keyHashes(hs, k)
	}
	w.pullHashes(inst, hs)
}

func (w *World) pullHashes(inst *instance, queue []uint64) {
	r := &w.roster
	bit := uint64(1) << inst.idx
	var take []int32
	done := map[uint64]bool{}
	for len(queue) > 0 {
		h := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if done[h] {
			continue
		}
		done[h] = true
		for l := r.heads[h]; l != 0; l = r.links[l-1].next {
			e := r.links[l-1].entry
			if r.entries[e].taken&bit != 0 || slices.Contains(take, e) {
				continue
			}
			take = append(take, e)
			queue = r.userHashes(queue, r.entries[e].u)
		}
	}
	slices.Sort(take)
	for _, e := range take {
		w.take(inst, e)
	}
}

// pullAll has the instance take every roster entry it has not taken.
func (w *World) pullAll(inst *instance) {
	if inst.described || inst.m == nil {
		return
	}
	bit := uint64(1) << inst.idx
	for e := range w.roster.entries {
		if w.roster.entries[e].taken&bit == 0 {
			w.take(inst, int32(e))
		}
	}
}

// pullEveryone has every instance take every entry: before State and
// Clone, whose answers cover every user.
func (w *World) pullEveryone() {
	for _, name := range w.names {
		w.pullAll(w.instances[name])
	}
}

// take runs, on one instance, the seed the event of entry e would have
// run there (see SeedEvent's eager pass, which it must match).
func (w *World) take(inst *instance, e int32) {
	en := &w.roster.entries[e]
	en.taken |= uint64(1) << inst.idx
	u := en.u
	if o, ok := inst.m.(*oktaModel); ok {
		status := "ACTIVE"
		if en.staged {
			status = "STAGED"
		}
		o.seedStatus(u, status)
		if o.users[u.ID] == nil {
			// Not held by id: the next event naming the user seeds it
			// again, as eager seeding does.
			delete(w.seeded, seedKey{u.ID, u.Login})
		}
		return
	}
	if inst.createsAccounts && en.joiner {
		return
	}
	inst.m.seed(u)
}

// pullCall has the instance take what a call could look up: every entry
// for a listing, else the entries its input's strings name.
func (w *World) pullCall(inst *instance, action string, in map[string]any) {
	if len(w.roster.entries) == 0 || inst.described || inst.m == nil {
		return
	}
	if inst.typ == "okta" && action == "listUsers" {
		w.pullAll(inst)
		return
	}
	var hs []uint64
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			hs = w.roster.keyHashes(hs, v)
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(in)
	w.pullHashes(inst, hs)
}
