// Minimal stand-in for the AXI-Stream side-channel struct ap_axiu, for C
// simulation with g++ only.  Written for the HadamRNN flow; Vitis HLS uses its
// own header instead.  Zero-width side channels become 1-bit fields here.
#ifndef HRNN_CSIM_AP_AXI_SDATA_H_
#define HRNN_CSIM_AP_AXI_SDATA_H_

#include <ap_int.h>

template <int D, int U, int TI, int TD>
struct ap_axiu {
    ap_uint<D> data;
    ap_uint<(D + 7) / 8> keep;
    ap_uint<(D + 7) / 8> strb;
    ap_uint<(U > 0 ? U : 1)> user;
    ap_uint<1> last;
    ap_uint<(TI > 0 ? TI : 1)> id;
    ap_uint<(TD > 0 ? TD : 1)> dest;
};

#endif  // HRNN_CSIM_AP_AXI_SDATA_H_
