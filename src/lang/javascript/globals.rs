//! Names a JavaScript program may use without declaring them: ECMAScript's global
//! object, and the globals of Node.js and browsers that code in datasets commonly uses.

pub const ECMASCRIPT: &[&str] = &[
    "AggregateError", "Array", "ArrayBuffer", "Atomics", "BigInt", "BigInt64Array", "BigUint64Array", "Boolean",
    "DataView", "Date", "Error", "EvalError", "FinalizationRegistry", "Float32Array", "Float64Array", "Function",
    "Infinity", "Int16Array", "Int32Array", "Int8Array", "Intl", "JSON", "Map", "Math", "NaN", "Number", "Object",
    "Promise", "Proxy", "RangeError", "ReferenceError", "Reflect", "RegExp", "Set", "SharedArrayBuffer", "String",
    "Symbol", "SyntaxError", "TypeError", "URIError", "Uint16Array", "Uint32Array", "Uint8Array",
    "Uint8ClampedArray", "WeakMap", "WeakRef", "WeakSet", "decodeURI", "decodeURIComponent", "encodeURI",
    "encodeURIComponent", "escape", "eval", "globalThis", "isFinite", "isNaN", "parseFloat", "parseInt",
    "unescape", "undefined", "arguments", "Iterator",
];

pub const NODE_AND_BROWSER: &[&str] = &[
    // Node.js (CommonJS module scope included)
    "Buffer", "__dirname", "__filename", "clearImmediate", "clearInterval", "clearTimeout", "console", "exports",
    "global", "module", "process", "queueMicrotask", "require", "setImmediate", "setInterval", "setTimeout",
    "structuredClone", "TextDecoder", "TextEncoder", "URL", "URLSearchParams", "AbortController", "AbortSignal",
    "atob", "btoa", "fetch", "Headers", "Request", "Response", "FormData", "Blob", "Event", "EventTarget",
    "performance", "crypto", "WebAssembly", "BroadcastChannel", "MessageChannel", "MessagePort", "DOMException",
    "ReadableStream", "WritableStream", "TransformStream", "File",
    // browsers
    "window", "document", "navigator", "location", "history", "localStorage", "sessionStorage", "alert",
    "confirm", "prompt", "self", "XMLHttpRequest", "WebSocket", "Worker", "Image", "HTMLElement", "Element",
    "Node", "NodeList", "CustomEvent", "requestAnimationFrame", "cancelAnimationFrame", "getComputedStyle",
    "MutationObserver", "IntersectionObserver", "ResizeObserver", "screen", "FileReader", "indexedDB",
];

/// Type-level names of TypeScript's standard library (lib.es*.d.ts, lib.dom.d.ts) and
/// of @types/node that programs use without declaring them.
pub const TYPESCRIPT_TYPES: &[&str] = &[
    "Partial", "Required", "Readonly", "Record", "Pick", "Omit", "Exclude", "Extract", "NonNullable",
    "Parameters", "ConstructorParameters", "ReturnType", "InstanceType", "ThisType", "Awaited", "Uppercase",
    "Lowercase", "Capitalize", "Uncapitalize", "ThisParameterType", "OmitThisParameter", "PromiseLike",
    "ArrayLike", "ReadonlyArray", "ReadonlyMap", "ReadonlySet", "Iterable", "IterableIterator", "AsyncIterable",
    "AsyncIterableIterator", "AsyncIterator", "Generator", "AsyncGenerator", "PropertyKey", "PropertyDescriptor",
    "TemplateStringsArray", "NodeJS", "ArrayBufferLike", "ArrayBufferView", "IteratorResult",
    "TypedPropertyDescriptor", "ClassDecorator", "MethodDecorator", "PropertyDecorator", "ParameterDecorator",
    "RegExpMatchArray", "RegExpExecArray", "PromiseConstructor", "Console", "HTMLInputElement", "HTMLDivElement",
    "MouseEvent", "KeyboardEvent", "Window", "Document", "CallableFunction", "NewableFunction", "ErrorConstructor",
    "ObjectConstructor", "ArrayConstructor",
];

pub fn is_builtin(name: &str, typescript: bool) -> bool {
    ECMASCRIPT.contains(&name) || NODE_AND_BROWSER.contains(&name) || (typescript && TYPESCRIPT_TYPES.contains(&name))
}
