"""Bit-exact checks of what codegen wrote: C simulation of the HLS project with
g++ and the ap_types headers, and cocotb + Verilator simulation of the RTL,
both against the integer reference.  Never imports torch."""
