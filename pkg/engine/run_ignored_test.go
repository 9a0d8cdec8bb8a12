package engine

import (
	"reflect"
	"testing"
)

func TestRunIgnored(t *testing.T) {
	e404 := &ErrorInfo{Card: "device", Action: "google.deleteMobileDevice", Message: "Resource Not Found"}
	e500 := &ErrorInfo{Card: "ticket", Action: "servicenow.createRecord", Message: "boom"}
	end := &ErrorInfo{Card: "suspend", Action: "google.suspendUser", Message: "denied"}
	tests := []struct {
		name string
		run  Run
		want []ErrorInfo
	}{
		{"nothing failed", Run{Cards: []*CardTrace{{Kind: "action", Status: CardSuccess}}}, nil},
		{"a failure a try caught, inside a call", Run{Status: StatusSuccess, Cards: []*CardTrace{
			{Kind: "try", Status: CardSuccess, Children: []*CardTrace{
				{Kind: "call", Status: CardFailed, Error: e404, Children: []*CardTrace{{Kind: "action", Status: CardFailed, Error: e404}}},
			}},
		}}, []ErrorInfo{*e404}},
		{"onError: continue, then the run halts on another card", Run{Status: StatusHalted, Error: end, Cards: []*CardTrace{
			{Kind: "action", Status: CardFailed, Error: e500},
			{Kind: "action", Status: CardFailed, Error: end},
		}}, []ErrorInfo{*e500}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.run.Ignored(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Ignored() = %v, want %v", got, tc.want)
			}
		})
	}
}
