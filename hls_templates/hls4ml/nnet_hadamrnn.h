// HadamRNN layer for hls4ml (codegen.hls4ml, registered with backend.register_source).
// The cell itself (types, step, readout) is generated per layer from the HadamRNN
// hardware description into nnet_code_gen.h; CONFIG_T::cell names it.
#ifndef NNET_HADAMRNN_H_
#define NNET_HADAMRNN_H_

#include "nnet_common.h"

namespace nnet {

struct hadamrnn_config {
    static const unsigned n_steps = 1;        // T: time steps of one sequence
    static const unsigned n_in = 1;           // d: input elements per step
    static const unsigned n_out = 1;          // o: readout elements per step
    static const bool readout_every = false;  // y after every step, or after the last only
    // typedef <generated cell> cell;
};

// data: T x d integers in the IR's input format, step-major (data[t * d + j]).
// res:  the readout y = V relu(h) + c, T x o step-major when readout_every,
//       else o values after the last step.  The state starts at 0 in every call.
template <class data_T, class res_T, typename CONFIG_T>
void hadamrnn(const data_T data[CONFIG_T::n_steps * CONFIG_T::n_in],
              res_T res[(CONFIG_T::readout_every ? CONFIG_T::n_steps : 1) * CONFIG_T::n_out]) {
    typedef typename CONFIG_T::cell cell;
    typename cell::state_t h[cell::HRNN_HIDDEN];
    #pragma HLS ARRAY_PARTITION variable=h complete
reset:
    for (int i = 0; i < cell::HRNN_HIDDEN; ++i) {
        #pragma HLS UNROLL
        h[i] = 0;
    }
time_step:
    for (unsigned t = 0; t < CONFIG_T::n_steps; ++t) {
        typename cell::x_elem_t x[CONFIG_T::n_in];
        #pragma HLS ARRAY_PARTITION variable=x complete
    unpack:
        for (unsigned j = 0; j < CONFIG_T::n_in; ++j) {
            #pragma HLS UNROLL
            x[j] = data[t * CONFIG_T::n_in + j];
        }
        typename cell::state_t h_new[cell::HRNN_HIDDEN];
        #pragma HLS ARRAY_PARTITION variable=h_new complete
        cell::step(x, h, h_new);
    store:
        for (int i = 0; i < cell::HRNN_HIDDEN; ++i) {
            #pragma HLS UNROLL
            h[i] = h_new[i];
        }
        if (CONFIG_T::readout_every || t == CONFIG_T::n_steps - 1) {
            typename cell::out_t y[CONFIG_T::n_out];
            #pragma HLS ARRAY_PARTITION variable=y complete
            cell::readout(h, y);
            const unsigned base = CONFIG_T::readout_every ? t * CONFIG_T::n_out : 0;
        pack:
            for (unsigned o = 0; o < CONFIG_T::n_out; ++o) {
                #pragma HLS UNROLL
                res[base + o] = y[o];
            }
        }
    }
}

} // namespace nnet

#endif
