// Minimal stand-in for hls::stream, for C simulation with g++ only.
// Written for the HadamRNN flow; Vitis HLS uses its own header instead.
#ifndef HRNN_CSIM_HLS_STREAM_H_
#define HRNN_CSIM_HLS_STREAM_H_

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace hls {

template <typename T>
class stream {
  public:
    stream() {}
    explicit stream(const char *name) : name_(name) {}
    stream(const stream &) = delete;
    stream &operator=(const stream &) = delete;

    bool empty() const { return q_.empty(); }
    bool full() const { return false; }
    std::size_t size() const { return q_.size(); }

    void write(const T &v) { q_.push_back(v); }
    bool write_nb(const T &v) { write(v); return true; }
    void operator<<(const T &v) { write(v); }

    T read() {
        if (q_.empty()) {
            std::fprintf(stderr, "hls::stream '%s': read while empty\n", name_.c_str());
            std::abort();
        }
        T v = q_.front();
        q_.pop_front();
        return v;
    }
    void read(T &v) { v = read(); }
    bool read_nb(T &v) {
        if (q_.empty()) return false;
        v = read();
        return true;
    }
    void operator>>(T &v) { v = read(); }

  private:
    std::deque<T> q_;
    std::string name_;
};

}  // namespace hls

#endif  // HRNN_CSIM_HLS_STREAM_H_
