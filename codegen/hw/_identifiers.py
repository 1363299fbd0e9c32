"""Identifiers derived from user text: valid in C++ and Verilog, never injecting text."""

from __future__ import annotations

import keyword
import re

_RESERVED = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t
    char32_t class compl const constexpr const_cast continue decltype default delete do double
    dynamic_cast else enum explicit export extern false float for friend goto if inline int long
    mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
    register reinterpret_cast return short signed sizeof static static_assert static_cast struct
    switch template this thread_local throw true try typedef typeid typename union unsigned using
    virtual void volatile wchar_t while xor xor_eq module input output wire reg logic begin end
    always assign initial parameter localparam generate endmodule""".split()
)


def sanitize_identifier(name: str, *, prefix: str = "hrnn") -> str:
    """A valid C++/Verilog identifier derived from ``name``.

    Characters other than [A-Za-z0-9_] become '_', a leading digit or a reserved
    word gets ``prefix_`` in front, and the result is lower case.
    """
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_").lower() or prefix
    ident = re.sub(r"_+", "_", ident)
    if ident[0].isdigit() or ident in _RESERVED or keyword.iskeyword(ident):
        ident = f"{prefix}_{ident}"
    return ident[:48]
