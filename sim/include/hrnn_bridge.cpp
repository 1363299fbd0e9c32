// ctypes bridge for C simulation (HadamRNN flow): runs the generated top
// function on whole batches of integer sequences.  Compiled with the project's
// sources by sim/_bridge.py; never part of the HLS project.
#include <cstdint>

#include "hadamrnn_top.h"

extern "C" {

// shape[0..7] = hidden, input_dim, outputs, readout_every, interleave,
//               input_width, output_width, fold
int hrnn_shape(int64_t *shape) {
    shape[0] = HRNN_HIDDEN;
    shape[1] = HRNN_INPUT_DIM;
    shape[2] = HRNN_OUTPUTS;
    shape[3] = HRNN_READOUT_EVERY;
    shape[4] = HRNN_INTERLEAVE;
    shape[5] = HRNN_INPUT_WIDTH;
    shape[6] = HRNN_OUTPUT_WIDTH;
    shape[7] = HRNN_FOLD;
    return 0;
}

// x: (batch, steps, input_dim) int64; y: (batch, out_steps, outputs) int64.
// Returns 0, or -1 when the design wrote the wrong number of beats or a wrong TLAST.
int hrnn_run(const int64_t *x, int64_t batch, int64_t steps, int64_t *y) {
    const int64_t B = HRNN_INTERLEAVE;
    const int64_t out_steps = HRNN_READOUT_EVERY ? steps : 1;
    for (int64_t g = 0; g * B < batch; ++g) {
        hls::stream<x_beat_t> xs("x");
        hls::stream<y_beat_t> ys("y");
        for (int64_t t = 0; t < steps; ++t) {
            for (int64_t b = 0; b < B; ++b) {
                int64_t s = g * B + b;
                if (s >= batch) s = batch - 1;  // pad the last call with a copy
                x_beat_t beat;
                beat.data = 0;
                for (int j = 0; j < HRNN_INPUT_DIM; ++j) {
                    const x_elem_t v = x[(s * steps + t) * HRNN_INPUT_DIM + j];
                    beat.data.range(j * HRNN_INPUT_WIDTH + HRNN_INPUT_WIDTH - 1,
                                    j * HRNN_INPUT_WIDTH) = v.range(HRNN_INPUT_WIDTH - 1, 0);
                }
                beat.keep = -1;
                beat.strb = -1;
                beat.last = (t == steps - 1);
                xs.write(beat);
            }
        }
        hadamrnn_top(xs, ys);
        for (int64_t t = 0; t < out_steps; ++t) {
            for (int64_t b = 0; b < B; ++b) {
                const int64_t s = g * B + b;
                if (ys.empty()) return -1;
                const y_beat_t beat = ys.read();
                const int64_t step = HRNN_READOUT_EVERY ? t : steps - 1;
                if (static_cast<bool>(beat.last) != (step == steps - 1)) return -1;
                if (s >= batch) continue;
                for (int o = 0; o < HRNN_OUTPUTS; ++o) {
                    out_t v;
                    v.range(HRNN_OUTPUT_WIDTH - 1, 0) = beat.data.range(
                        o * HRNN_OUTPUT_WIDTH + HRNN_OUTPUT_WIDTH - 1, o * HRNN_OUTPUT_WIDTH);
                    y[(s * out_steps + t) * HRNN_OUTPUTS + o] = v.to_int64();
                }
            }
        }
        if (!ys.empty()) return -1;
    }
    return 0;
}

}  // extern "C"
