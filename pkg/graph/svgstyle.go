package graph

// SVGStyle is the style sheet of the SVG drawings (Diagram.SVG): the
// colours of each node kind, the same as the Mermaid and dot drawings',
// and of the fills "ok", "warn", "bad" and "none" that SVGOptions.Fill
// gives nodes, in light and in dark (prefers-color-scheme) mode. Every
// rule is under .flow-graph, the class of the drawing's root. A web page
// serves it in its own style sheet (a strict Content-Security-Policy
// forbids inline styles); a standalone drawing embeds it.
//
// It holds no < or &, so it can sit in an SVG <style> element as is.
const SVGStyle = `.flow-graph{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace;font-size:12px}
.flow-graph text{fill:#202124}
.flow-graph .shape{fill:#f1f3f4;stroke:#5f6368;stroke-width:1.2}
.flow-graph .trigger .shape{fill:#e8f0fe;stroke:#1a73e8}
.flow-graph .read .shape{fill:#e6f4ea;stroke:#188038}
.flow-graph .write .shape{fill:#fef7e0;stroke:#e37400}
.flow-graph .deprovision .shape{fill:#fce8e6;stroke:#c5221f;stroke-width:2.4}
.flow-graph .call .shape{fill:#f3e8fd;stroke:#8430ce}
.flow-graph .if .shape,.flow-graph .switch .shape,.flow-graph .continueIf .shape,.flow-graph .forEach .shape,.flow-graph .assign .shape,.flow-graph .try .shape{fill:#f1f3f4;stroke:#5f6368}
.flow-graph .return .shape,.flow-graph .filtered .shape,.flow-graph .end .shape{fill:#e8eaed;stroke:#5f6368}
.flow-graph .halt .shape{fill:#c5221f;stroke:#a50e0e}
.flow-graph .halt .label{fill:#ffffff}
.flow-graph .errorFlow .shape,.flow-graph .errorReturn .shape{fill:#fce8e6;stroke:#c5221f;stroke-dasharray:4 2}
.flow-graph .node.ok .shape,.flow-graph .pseudo.ok .shape{fill:#ceead6}
.flow-graph .node.warn .shape,.flow-graph .pseudo.warn .shape{fill:#fde293}
.flow-graph .node.bad .shape,.flow-graph .pseudo.bad .shape{fill:#f6aea9}
.flow-graph .node.none .shape,.flow-graph .pseudo.none .shape{fill:#f8f9fa;stroke-dasharray:3 3}
.flow-graph .node.ok .label,.flow-graph .node.warn .label,.flow-graph .node.bad .label,.flow-graph .pseudo.ok .label,.flow-graph .pseudo.warn .label,.flow-graph .pseudo.bad .label{fill:#202124}
.flow-graph .node.none .label,.flow-graph .pseudo.none .label{fill:#80868b}
.flow-graph .cluster .shape{fill:none;stroke:#9aa0a6;stroke-dasharray:5 3}
.flow-graph .cluster .label{fill:#5f6368}
.flow-graph .edge{fill:none;stroke:#5f6368;stroke-width:1.3}
.flow-graph .edge.error{stroke:#c5221f;stroke-dasharray:4 3}
.flow-graph .arrowhead{fill:#5f6368}
.flow-graph .arrowhead.error{fill:#c5221f}
.flow-graph .edge-label rect{fill:#ffffff;fill-opacity:0.9}
.flow-graph .edge-label .label{fill:#3c4043}
.flow-graph .edge-label.error .label{fill:#c5221f}
@media (prefers-color-scheme: dark){
.flow-graph text{fill:#e8eaed}
.flow-graph .shape{fill:#2d2f31;stroke:#9aa0a6}
.flow-graph .trigger .shape{fill:#0d2a4d;stroke:#8ab4f8}
.flow-graph .read .shape{fill:#0f2e1a;stroke:#81c995}
.flow-graph .write .shape{fill:#3a2c0b;stroke:#fdd663}
.flow-graph .deprovision .shape{fill:#3c1613;stroke:#f28b82}
.flow-graph .call .shape{fill:#2e1a45;stroke:#c58af9}
.flow-graph .if .shape,.flow-graph .switch .shape,.flow-graph .continueIf .shape,.flow-graph .forEach .shape,.flow-graph .assign .shape,.flow-graph .try .shape{fill:#2d2f31;stroke:#9aa0a6}
.flow-graph .return .shape,.flow-graph .filtered .shape,.flow-graph .end .shape{fill:#3c4043;stroke:#9aa0a6}
.flow-graph .halt .shape{fill:#b3261e;stroke:#f28b82}
.flow-graph .halt .label{fill:#ffffff}
.flow-graph .errorFlow .shape,.flow-graph .errorReturn .shape{fill:#3c1613;stroke:#f28b82}
.flow-graph .node.ok .shape,.flow-graph .pseudo.ok .shape{fill:#0f5223}
.flow-graph .node.warn .shape,.flow-graph .pseudo.warn .shape{fill:#6b5200}
.flow-graph .node.bad .shape,.flow-graph .pseudo.bad .shape{fill:#8c1d18}
.flow-graph .node.none .shape,.flow-graph .pseudo.none .shape{fill:#202124}
.flow-graph .node.ok .label,.flow-graph .node.warn .label,.flow-graph .node.bad .label,.flow-graph .pseudo.ok .label,.flow-graph .pseudo.warn .label,.flow-graph .pseudo.bad .label{fill:#e8eaed}
.flow-graph .node.none .label,.flow-graph .pseudo.none .label{fill:#9aa0a6}
.flow-graph .cluster .shape{fill:none;stroke:#80868b}
.flow-graph .cluster .label{fill:#9aa0a6}
.flow-graph .edge{fill:none;stroke:#9aa0a6}
.flow-graph .edge.error{stroke:#f28b82}
.flow-graph .arrowhead{fill:#9aa0a6}
.flow-graph .arrowhead.error{fill:#f28b82}
.flow-graph .edge-label rect{fill:#202124}
.flow-graph .edge-label .label{fill:#bdc1c6}
.flow-graph .edge-label.error .label{fill:#f28b82}
}
`
