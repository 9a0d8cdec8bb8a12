package sandbox_test

import (
	"testing"

	"github.com/jml-dev/jml/pkg/world"
)

// TestMicrosoftRoundTripEdges holds the microsoft connector and the
// sandbox to the in-process world beyond the happy path.
func TestMicrosoftRoundTripEdges(t *testing.T) {
	jane := func(extra map[string]any) map[string]any {
		in := map[string]any{"userId": "jane.doe@acme.com"}
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	runGMSCases(t, "ms", []gmsCase{
		{name: "unknown user", world: "described", steps: []gmsStep{
			{"getUser", map[string]any{"userId": "nobody@acme.com"}, 404},
			{"disableUser", map[string]any{"userId": "00u1jane0001/revokeSignInSessions"}, 404},
			{"addToGroup", map[string]any{"userId": "00u1jane0001", "groupId": "grp-vpn/members/$ref?x=1"}, 404},
			{"getUser", map[string]any{"userId": "00000000-dead-beef-0000-000000000000"}, 404},
			{"disableUser", map[string]any{"userId": "nobody@acme.com"}, 404},
			{"revokeSignInSessions", map[string]any{"userId": "nobody@acme.com"}, 404},
			{"removeLicenses", map[string]any{"userId": "nobody@acme.com"}, 404},
			{"assignLicense", map[string]any{"userId": "nobody@acme.com", "skuId": "sku-e5"}, 404},
			{"addToGroup", map[string]any{"userId": "nobody@acme.com", "groupId": "grp-vpn"}, 404},
			{"removeFromGroup", map[string]any{"userId": "nobody@acme.com", "groupId": "grp-vpn"}, 404},
			{"removeFromGroup", map[string]any{"userId": "no-such-id", "groupId": "grp-vpn"}, 404},
		}},
		{name: "unknown group in a closed world", world: "described", steps: []gmsStep{
			{"addToGroup", jane(map[string]any{"groupId": "grp-none"}), 404},
			{"removeFromGroup", jane(map[string]any{"groupId": "grp-none"}), 404},
		}},
		{name: "unknown group in an open world", world: "seeded", steps: []gmsStep{
			{"removeFromGroup", jane(map[string]any{"groupId": "grp-new"}), 0},
			{"addToGroup", jane(map[string]any{"groupId": "grp-new"}), 0},
		}},
		{name: "idempotent group changes by id", world: "described", steps: []gmsStep{
			{"addToGroup", map[string]any{"userId": "00u1jane0001", "groupId": "grp-vpn"}, 0},
			{"removeFromGroup", map[string]any{"userId": "00u1jane0001", "groupId": "grp-vpn"}, 0},
			{"removeFromGroup", map[string]any{"userId": "00u1jane0001", "groupId": "grp-vpn"}, 0},
			{"addToGroup", map[string]any{"userId": "bob@acme.com", "groupId": "grp-vpn"}, 0},
		}},
		{name: "licenses", world: "described", steps: []gmsStep{
			{"assignLicense", jane(map[string]any{"skuId": "sku-e5", "disabledPlans": []any{"plan-1"}}), 0},
			{"assignLicense", jane(map[string]any{"skuId": "SKU-E5"}), 0},
			{"removeLicenses", jane(map[string]any{"skuIds": []any{"sku-visio", "SKU-E3"}}), 0},
			{"removeLicenses", jane(map[string]any{"skuIds": []any{}}), 0},
			{"removeLicenses", jane(nil), 0},
			{"removeLicenses", jane(nil), 0},
			{"removeLicenses", jane(map[string]any{"skuIds": "sku-e3"}), 400},
		}},
		{name: "injected faults", world: "seeded", faults: []world.Fault{
			{Action: "ms.disableUser", Status: 429, Times: 1},
			{Action: "ms.removeLicenses", Status: 503},
			{Action: "ms.*", User: "bob@acme.com", Status: 500, Times: 1},
		}, steps: []gmsStep{
			{"disableUser", jane(nil), 429},
			{"disableUser", jane(nil), 0},
			{"removeLicenses", jane(nil), 503},
			{"revokeSignInSessions", map[string]any{"userId": "bob@acme.com"}, 500},
			{"revokeSignInSessions", map[string]any{"userId": "bob@acme.com"}, 0},
		}},
	})
}
