//! The part of `serde_json` a Rust function uses (`Value`, `Map`, `json!`, `from_str`,
//! `to_string`), with no dependencies: functions are built offline, where crates.io is out of
//! reach. Built once as the crate `serde_json`, so a function's `use serde_json::{json, Value};`
//! reads as it does with the real crate.
use std::collections::BTreeMap;
use std::fmt;

pub type Map = BTreeMap<String, Value>;

#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

static NULL: Value = Value::Null;

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self { Value::Object(map) => map.get(key), _ => None }
    }
    pub fn as_str(&self) -> Option<&str> { if let Value::String(s) = self { Some(s) } else { None } }
    pub fn as_f64(&self) -> Option<f64> { if let Value::Number(n) = self { Some(*n) } else { None } }
    pub fn as_i64(&self) -> Option<i64> {
        match self { Value::Number(n) if n.fract() == 0.0 => Some(*n as i64), _ => None }
    }
    pub fn as_u64(&self) -> Option<u64> { self.as_i64().filter(|n| *n >= 0).map(|n| n as u64) }
    pub fn as_bool(&self) -> Option<bool> { if let Value::Bool(b) = self { Some(*b) } else { None } }
    pub fn as_array(&self) -> Option<&Vec<Value>> { if let Value::Array(a) = self { Some(a) } else { None } }
    pub fn as_object(&self) -> Option<&Map> { if let Value::Object(m) = self { Some(m) } else { None } }
    pub fn as_object_mut(&mut self) -> Option<&mut Map> { if let Value::Object(m) = self { Some(m) } else { None } }
    pub fn is_null(&self) -> bool { matches!(self, Value::Null) }
    pub fn is_string(&self) -> bool { matches!(self, Value::String(_)) }
    pub fn is_object(&self) -> bool { matches!(self, Value::Object(_)) }
    pub fn is_array(&self) -> bool { matches!(self, Value::Array(_)) }
    pub fn is_number(&self) -> bool { matches!(self, Value::Number(_)) }
}

impl std::ops::Index<&str> for Value {
    type Output = Value;
    fn index(&self, key: &str) -> &Value { self.get(key).unwrap_or(&NULL) }
}

impl std::ops::Index<usize> for Value {
    type Output = Value;
    fn index(&self, index: usize) -> &Value {
        match self { Value::Array(items) => items.get(index).unwrap_or(&NULL), _ => &NULL }
    }
}

macro_rules! from_number {
    ($($t:ty),*) => { $(impl From<$t> for Value { fn from(n: $t) -> Value { Value::Number(n as f64) } })* };
}
from_number!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64);

impl From<bool> for Value { fn from(b: bool) -> Value { Value::Bool(b) } }
impl From<&str> for Value { fn from(s: &str) -> Value { Value::String(s.to_string()) } }
impl From<String> for Value { fn from(s: String) -> Value { Value::String(s) } }
impl From<&String> for Value { fn from(s: &String) -> Value { Value::String(s.clone()) } }
impl From<Map> for Value { fn from(m: Map) -> Value { Value::Object(m) } }
impl From<()> for Value { fn from(_: ()) -> Value { Value::Null } }
impl From<&Value> for Value { fn from(v: &Value) -> Value { v.clone() } }
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value { Value::Array(items.into_iter().map(Into::into).collect()) }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(option: Option<T>) -> Value { option.map(Into::into).unwrap_or(Value::Null) }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if !n.is_finite() => out.push_str("null"),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => out.push_str(&format!("{}", *n as i64)),
        Value::Number(n) => out.push_str(&format!("{}", n)),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 { out.push(','); }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 { out.push(','); }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_value(&mut out, self);
        f.write_str(&out)
    }
}

#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
}

impl std::error::Error for Error {}

pub fn to_string(value: &Value) -> Result<String, Error> { Ok(value.to_string()) }

pub fn from_str(text: &str) -> Result<Value, Error> {
    let mut parser = Parser { bytes: text.as_bytes(), at: 0 };
    let value = parser.value()?;
    parser.space();
    if parser.at != parser.bytes.len() { return Err(parser.error("trailing characters")); }
    Ok(value)
}

struct Parser<'a> { bytes: &'a [u8], at: usize }

impl<'a> Parser<'a> {
    fn error(&self, what: &str) -> Error { Error(format!("{} at byte {}", what, self.at)) }
    fn space(&mut self) { while self.at < self.bytes.len() && b" \t\r\n".contains(&self.bytes[self.at]) { self.at += 1; } }
    fn eat(&mut self, word: &str) -> bool {
        if self.bytes[self.at..].starts_with(word.as_bytes()) { self.at += word.len(); true } else { false }
    }
    fn value(&mut self) -> Result<Value, Error> {
        self.space();
        match self.bytes.get(self.at) {
            None => Err(self.error("unexpected end")),
            Some(b'{') => {
                self.at += 1;
                let mut map = Map::new();
                self.space();
                if self.eat("}") { return Ok(Value::Object(map)); }
                loop {
                    self.space();
                    let key = self.string()?;
                    self.space();
                    if !self.eat(":") { return Err(self.error("expected ':'")); }
                    map.insert(key, self.value()?);
                    self.space();
                    if self.eat("}") { return Ok(Value::Object(map)); }
                    if !self.eat(",") { return Err(self.error("expected ',' or '}'")); }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.eat("]") { return Ok(Value::Array(items)); }
                loop {
                    items.push(self.value()?);
                    self.space();
                    if self.eat("]") { return Ok(Value::Array(items)); }
                    if !self.eat(",") { return Err(self.error("expected ',' or ']'")); }
                }
            }
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(_) if self.eat("true") => Ok(Value::Bool(true)),
            Some(_) if self.eat("false") => Ok(Value::Bool(false)),
            Some(_) if self.eat("null") => Ok(Value::Null),
            Some(_) => {
                let start = self.at;
                while self.at < self.bytes.len() && b"+-0123456789.eE".contains(&self.bytes[self.at]) { self.at += 1; }
                std::str::from_utf8(&self.bytes[start..self.at]).ok().and_then(|t| t.parse::<f64>().ok())
                    .map(Value::Number).ok_or_else(|| self.error("expected a value"))
            }
        }
    }
    fn string(&mut self) -> Result<String, Error> {
        if !self.eat("\"") { return Err(self.error("expected a string")); }
        let mut out: Vec<u8> = Vec::new();
        loop {
            let byte = *self.bytes.get(self.at).ok_or_else(|| self.error("unterminated string"))?;
            self.at += 1;
            match byte {
                b'"' => return String::from_utf8(out).map_err(|_| self.error("invalid UTF-8")),
                b'\\' => {
                    let escape = *self.bytes.get(self.at).ok_or_else(|| self.error("unterminated escape"))?;
                    self.at += 1;
                    match escape {
                        b'n' => out.push(b'\n'), b't' => out.push(b'\t'), b'r' => out.push(b'\r'),
                        b'b' => out.push(8), b'f' => out.push(12),
                        b'u' => {
                            let mut code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code) && self.eat("\\u") {
                                let low = self.hex4()?;
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            }
                            let c = char::from_u32(code).unwrap_or('\u{FFFD}');
                            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }
    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self.bytes.get(self.at..self.at + 4).ok_or_else(|| self.error("short \\u escape"))?;
        self.at += 4;
        u32::from_str_radix(std::str::from_utf8(digits).unwrap_or("x"), 16).map_err(|_| self.error("bad \\u escape"))
    }
}

/// `json!({"key": value, ...})`, `json!([a, b])`, `json!(null)`, `json!(expression)`, as the
/// real crate's macro (keys are string literals).
#[macro_export]
macro_rules! json {
    (null) => { $crate::Value::Null };
    ([]) => { $crate::Value::Array(Vec::new()) };
    ([ $($tt:tt)+ ]) => {{
        let mut items: Vec<$crate::Value> = Vec::new();
        $crate::__json_items!(items () $($tt)+);
        $crate::Value::Array(items)
    }};
    ({}) => { $crate::Value::Object($crate::Map::new()) };
    ({ $($tt:tt)+ }) => {{
        let mut map = $crate::Map::new();
        $crate::__json_entries!(map $($tt)+);
        $crate::Value::Object(map)
    }};
    ($value:expr) => { $crate::Value::from($value) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __json_items {
    ($items:ident ($($value:tt)+) , $($rest:tt)*) => {
        $items.push($crate::json!($($value)+));
        $crate::__json_items!($items () $($rest)*);
    };
    ($items:ident ($($value:tt)+)) => { $items.push($crate::json!($($value)+)); };
    ($items:ident ()) => {};
    ($items:ident ($($value:tt)*) $next:tt $($rest:tt)*) => { $crate::__json_items!($items ($($value)* $next) $($rest)*); };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __json_entries {
    ($map:ident) => {};
    ($map:ident $key:literal : $($rest:tt)+) => { $crate::__json_value!($map ($key) () $($rest)+); };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __json_value {
    ($map:ident ($key:expr) ($($value:tt)+) , $($rest:tt)*) => {
        $map.insert(($key).to_string(), $crate::json!($($value)+));
        $crate::__json_entries!($map $($rest)*);
    };
    ($map:ident ($key:expr) ($($value:tt)+)) => { $map.insert(($key).to_string(), $crate::json!($($value)+)); };
    ($map:ident ($key:expr) ($($value:tt)*) $next:tt $($rest:tt)*) => { $crate::__json_value!($map ($key) ($($value)* $next) $($rest)*); };
}
