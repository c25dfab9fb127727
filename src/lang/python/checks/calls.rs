//! (to be written)

use super::Context;
use crate::lang::{CheckInfo, Diagnostic};

pub const INFOS: &[CheckInfo] = &[];

pub fn run(_ctx: &Context, _out: &mut Vec<Diagnostic>) {}
