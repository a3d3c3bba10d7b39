/* hwnas int8 kernels (see hwnas_kernels.h): a line-by-line C transcription of hwnas's
 * C++ integer reference, which follows TF Lite's reference_integer_ops. Plain loops, one
 * sample; the portable path that every optimised one is checked against. */
#include "hwnas_kernels.h"

#include <string.h>

#define HWNAS_INT32_MIN (-2147483647 - 1)
#define HWNAS_INT32_MAX 2147483647

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ---- gemmlowp fixed point (trainers/fixed_point.hpp) ---------------------------------- */

/* round(a * b / 2^31), ties away from zero for a*b >= 0; INT32_MIN^2 saturates. */
static int32_t srdhm(int32_t a, int32_t b) {
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : ((int64_t)1 - ((int64_t)1 << 30));
  if (a == b && a == HWNAS_INT32_MIN) return HWNAS_INT32_MAX;
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C99 division truncates */
}

/* x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
static int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t hwnas_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  /* TF Lite's default double rounding: a rounding high multiply of x * 2^left_shift, then a
     rounding right shift (as TF Lite Micro and CMSIS-NN compute it by default). */
  const int64_t shifted = shift > 0 ? (int64_t)x * ((int64_t)1 << shift) : (int64_t)x;
  if (shifted > HWNAS_INT32_MAX) return HWNAS_INT32_MAX; /* saturates where TF Lite overflows */
  if (shifted < HWNAS_INT32_MIN) return HWNAS_INT32_MIN;
  return rounding_divide_by_pot(srdhm((int32_t)shifted, multiplier), shift > 0 ? 0 : (int)-shift);
}

static int32_t requantize(int32_t x, hwnas_requant r) {
  return hwnas_multiply_by_quantized_multiplier(x, r.multiplier, r.shift);
}

static int32_t rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

static int32_t saturating_rounding_multiply_by_pot(int32_t x, int exponent) {
  int32_t threshold;
  if (exponent <= 0) return rounding_divide_by_pot(x, -exponent);
  threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) return HWNAS_INT32_MAX;
  if (x < -threshold) return HWNAS_INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

static int32_t rescale(int32_t x, int src_integer_bits, int dst_integer_bits) {
  return saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits);
}

static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668;
  const int32_t one_third = 715827883;
  const int32_t x = a + (1 << 28);
  const int32_t x2 = srdhm(x, x);
  const int32_t x3 = srdhm(x2, x);
  const int32_t x4 = srdhm(x2, x2);
  const int32_t x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2);
  const int32_t poly = saturating_rounding_multiply_by_pot(srdhm(x4_over_4 + x3, one_third) + x2, -1);
  return exp_minus_one_eighth + srdhm(exp_minus_one_eighth, x + poly);
}

static int32_t exp_on_negative_values(int32_t a, int integer_bits) {
  static const int32_t exp_minus_power_of_two[] = {1672461947, 1302514674, 790015084, 290630308,
                                                   39332535,   720401,     242};
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
  int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
  const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
  int k;
  for (k = -2; k <= 4; ++k)
    if (integer_bits > k && (remainder & ((int32_t)1 << (fractional_bits + k))) != 0)
      result = srdhm(result, exp_minus_power_of_two[k + 2]);
  if (integer_bits > 5 && a < -((int32_t)1 << (fractional_bits + 5))) result = 0;
  return a == 0 ? HWNAS_INT32_MAX : result;
}

static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t one_q2 = 1 << 29;
  const int32_t c48_over_17 = 1515870810, c_minus_32_over_17 = -1010580540;
  const int32_t half_denominator = rounding_half_sum(a, HWNAS_INT32_MAX);
  int32_t x = c48_over_17 + srdhm(half_denominator, c_minus_32_over_17);
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t one_minus_half_denominator_times_x = one_q2 - srdhm(half_denominator, x);
    x += rescale(srdhm(x, one_minus_half_denominator_times_x), 4, 2);
  }
  return rescale(x, 1, 0);
}

static int count_leading_zeros(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

static int32_t get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit) {
  const int headroom_plus_one = count_leading_zeros((uint32_t)x);
  const int32_t shifted_sum_minus_one =
      (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

/* ---- windowed ops ------------------------------------------------------------------- */

/* The taps [kh0, kh1) x [kw0, kw1) of output pixel (oh, ow) that fall inside the input,
 * and the input pixel of tap (0, 0) (may lie in the padding). */
typedef struct {
  int32_t in0;
  int kh0, kh1, kw0, kw1;
} window_taps;

static window_taps taps_of(const hwnas_window *g, int oh, int ow) {
  window_taps t;
  const int ih0 = oh * g->stride_h - g->pad_top;
  const int iw0 = ow * g->stride_w - g->pad_left;
  t.kh0 = ih0 < 0 ? -ih0 : 0;
  t.kh1 = g->kernel_h < g->in_h - ih0 ? g->kernel_h : g->in_h - ih0;
  t.kw0 = iw0 < 0 ? -iw0 : 0;
  t.kw1 = g->kernel_w < g->in_w - iw0 ? g->kernel_w : g->in_w - iw0;
  t.in0 = (int32_t)ih0 * g->in_w + iw0;
  return t;
}

static int8_t finish(const hwnas_mac_params *p, int32_t acc, int32_t channel) {
  const int32_t v = requantize(acc + p->biases[channel], p->requant[channel]) + p->output_offset;
  return (int8_t)clamp32(v, p->activation_min, p->activation_max);
}

void hwnas_conv(const hwnas_mac_params *p, const int8_t *x, int8_t *y) {
  const hwnas_window *g = &p->window;
  const int cin = g->channels, cout = p->out_channels;
  int oh, ow, oc, kh, kw, ic;
  for (oh = 0; oh < g->out_h; ++oh)
    for (ow = 0; ow < g->out_w; ++ow) {
      const window_taps t = taps_of(g, oh, ow);
      int8_t *out = y + ((int32_t)oh * g->out_w + ow) * cout;
      for (oc = 0; oc < cout; ++oc) {
        int32_t acc = 0;
        for (kh = t.kh0; kh < t.kh1; ++kh)
          for (kw = t.kw0; kw < t.kw1; ++kw) {
            const int8_t *w = p->weights + (((int32_t)oc * g->kernel_h + kh) * g->kernel_w + kw) * cin;
            const int8_t *in = x + (t.in0 + (int32_t)kh * g->in_w + kw) * cin;
            for (ic = 0; ic < cin; ++ic) acc += (int32_t)w[ic] * ((int32_t)in[ic] + p->input_offset);
          }
        out[oc] = finish(p, acc, oc);
      }
    }
}

void hwnas_depthwise_conv(const hwnas_mac_params *p, const int8_t *x, int8_t *y) {
  const hwnas_window *g = &p->window;
  const int cm = p->out_channels, m = p->depth_multiplier;
  int oh, ow, j, kh, kw;
  for (oh = 0; oh < g->out_h; ++oh)
    for (ow = 0; ow < g->out_w; ++ow) {
      const window_taps t = taps_of(g, oh, ow);
      int8_t *out = y + ((int32_t)oh * g->out_w + ow) * cm;
      for (j = 0; j < cm; ++j) {
        int32_t acc = 0;
        for (kh = t.kh0; kh < t.kh1; ++kh)
          for (kw = t.kw0; kw < t.kw1; ++kw)
            acc += (int32_t)p->weights[(kh * g->kernel_w + kw) * cm + j] *
                   ((int32_t)x[(t.in0 + (int32_t)kh * g->in_w + kw) * g->channels + j / m] + p->input_offset);
        out[j] = finish(p, acc, j);
      }
    }
}

void hwnas_dense(const hwnas_mac_params *p, const int8_t *x, int8_t *y) {
  const int32_t n = p->in_elements;
  int32_t u, i;
  for (u = 0; u < p->out_channels; ++u) {
    const int8_t *w = p->weights + u * n;
    int32_t acc = 0;
    for (i = 0; i < n; ++i) acc += (int32_t)w[i] * ((int32_t)x[i] + p->input_offset);
    y[u] = finish(p, acc, u);
  }
}

void hwnas_scale(const hwnas_mac_params *p, const int8_t *x, int8_t *y) {
  const int32_t channels = p->out_channels;
  int32_t p0, ch;
  for (p0 = 0; p0 < p->in_elements; p0 += channels)
    for (ch = 0; ch < channels; ++ch)
      y[p0 + ch] = finish(p, (int32_t)p->weights[ch] * ((int32_t)x[p0 + ch] + p->input_offset), ch);
}

/* Max and average pooling keep the input's parameters; the average rounds half away
 * from zero over the taps inside the input. */
void hwnas_pool(const hwnas_pool_params *p, const int8_t *x, int8_t *y) {
  const hwnas_window *g = &p->window;
  const int ch = g->channels;
  int oh, ow, j, kh, kw;
  for (oh = 0; oh < g->out_h; ++oh)
    for (ow = 0; ow < g->out_w; ++ow) {
      const window_taps t = taps_of(g, oh, ow);
      const int32_t count = (int32_t)(t.kh1 - t.kh0) * (t.kw1 - t.kw0);
      int8_t *out = y + ((int32_t)oh * g->out_w + ow) * ch;
      for (j = 0; j < ch; ++j) {
        int32_t acc = p->average ? 0 : -128;
        for (kh = t.kh0; kh < t.kh1; ++kh)
          for (kw = t.kw0; kw < t.kw1; ++kw) {
            const int32_t v = x[(t.in0 + (int32_t)kh * g->in_w + kw) * ch + j];
            if (p->average)
              acc += v;
            else if (v > acc)
              acc = v;
          }
        if (p->average) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        out[j] = (int8_t)clamp32(acc, p->activation_min, p->activation_max);
      }
    }
}

void hwnas_global_pool(const hwnas_global_pool_params *p, const int8_t *x, int8_t *y) {
  const int32_t n = p->pixels;
  int32_t j, i;
  for (j = 0; j < p->channels; ++j) {
    int32_t acc = 0;
    for (i = 0; i < n; ++i) acc += (int32_t)x[i * p->channels + j] + p->input_offset;
    acc = requantize(acc, p->requant);
    acc = acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
    y[j] = (int8_t)clamp32(acc + p->output_offset, p->activation_min, p->activation_max);
  }
}

/* ---- element-wise and other ops ------------------------------------------------------ */

void hwnas_add(const hwnas_add_params *p, const int8_t *const *x, int8_t *y) {
  int32_t k, i;
  for (k = 0; k < p->elements; ++k) {
    int32_t sum = 0;
    for (i = 0; i < p->inputs; ++i) {
      const int32_t shifted = ((int32_t)x[i][k] + p->input_offsets[i]) * ((int32_t)1 << p->left_shift);
      sum += requantize(shifted, p->input_requant[i]);
    }
    y[k] = (int8_t)clamp32(requantize(sum, p->output_requant) + p->output_offset, p->activation_min,
                           p->activation_max);
  }
}

void hwnas_concat(const hwnas_concat_params *p, const int8_t *const *x, int8_t *y) {
  int32_t offset = 0, i, q, j;
  for (i = 0; i < p->inputs; ++i) {
    const int32_t ch = p->in_channels[i];
    for (q = 0; q < p->pixels; ++q)
      for (j = 0; j < ch; ++j) {
        const int32_t v = (int32_t)x[i][q * ch + j] + p->input_offsets[i];
        const int32_t r = p->requantise[i] ? requantize(v, p->input_requant[i]) : v;
        y[q * p->out_channels + offset + j] =
            (int8_t)clamp32(r + p->output_offset, p->activation_min, p->activation_max);
      }
    offset += ch;
  }
}

void hwnas_activation(const hwnas_activation_params *p, const int8_t *x, int8_t *y) {
  int32_t i;
  for (i = 0; i < p->elements; ++i)
    y[i] = (int8_t)clamp32(requantize((int32_t)x[i] + p->input_offset, p->requant) + p->output_offset,
                           p->activation_min, p->activation_max);
}

void hwnas_copy(const int8_t *x, int8_t *y, int32_t bytes) {
  if (x != y) memmove(y, x, (size_t)bytes);
}

/* TF Lite Micro's int8 softmax: differences to the row's maximum scaled into Q5.26, their
 * exps summed in Q12.19, one reciprocal per row, outputs at scale 1/256 minus 128. */
static int32_t exp_of_difference(const hwnas_softmax_params *p, int32_t diff) {
  const int32_t scaled = hwnas_multiply_by_quantized_multiplier(diff, p->input_multiplier, p->input_left_shift);
  return exp_on_negative_values(scaled, 5);
}

void hwnas_softmax(const hwnas_softmax_params *p, const int8_t *x, int8_t *y) {
  int32_t r, c;
  for (r = 0; r < p->rows; ++r, x += p->depth, y += p->depth) {
    int32_t max = x[0], sum_of_exps = 0, shifted_scale;
    int num_bits_over_unit = 0, exponent;
    for (c = 1; c < p->depth; ++c)
      if (x[c] > max) max = x[c];
    for (c = 0; c < p->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max;
      if (diff >= p->diff_min) sum_of_exps += rescale(exp_of_difference(p, diff), 0, 12);
    }
    shifted_scale = get_reciprocal(sum_of_exps, 12, &num_bits_over_unit);
    exponent = num_bits_over_unit + 31 - 8;
    for (c = 0; c < p->depth; ++c) {
      const int32_t diff = (int32_t)x[c] - max;
      int32_t out = -128;
      if (diff >= p->diff_min) {
        const int32_t quotient = srdhm(shifted_scale, exp_of_difference(p, diff));
        const int32_t unsat = exponent <= 31 ? rounding_divide_by_pot(quotient, exponent) : 0;
        out = clamp32(unsat - 128, -128, 127);
      }
      y[c] = (int8_t)out;
    }
  }
}
