// Package flopack reads Okta Workflows exports (.flopack files) and
// translates their flows into jml flow YAML.
//
// A .flopack is JSON: data.flos maps a flow id to a flow, whose
// data.methods lists its cards. A card names its module and method in
// its address ("root:kernel:control:0.0.1:if" for a function card,
// "root:channels:http:okta:1.0.297:suspendUser" for an app action
// card), keeps its inputs and outputs under node.model.inputs.data and
// node.model.outputs.data, and its error policy under
// node.model.policy.error. The connections between cards are stored on
// the producing card: pins maps one of its output ids to the consuming
// cards and the input ids there. The order of the cards is the edge
// list data.orderings (edge id → [from, to]); a branching card (If/Else,
// If Error) names the first card of each branch in its branches map,
// and the branches meet again at a Join card.
//
// [Read] turns the JSON into the model ([Pack], [Flow], [Card],
// [Field]); every malformed part is reported with its JSON path.
package flopack
