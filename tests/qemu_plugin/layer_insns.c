/* This file implements a QEMU TCG plugin that counts the guest instructions each layer of
 * an exported model executes, for the profiling firmware under emulation (QEMU has no
 * cycle counter: instruction counts are what it can measure). The generated model.c built
 * with -DHWNAS_PROFILE calls hwnas_layer_<i>() before layer i and hwnas_layer_end() after
 * the last; the plugin keeps a running instruction total and snapshots it whenever a
 * marker's first instruction executes, so layer i's count is the difference between its
 * marker and the next (including the few instructions of one marker call).
 *
 * Build: cc -shared -fPIC -O2 -o liblayer_insns.so layer_insns.c
 * Use:   qemu-system-arm ... -plugin ./liblayer_insns.so,out=FILE
 * FILE:  "invokes N", then "layer I COUNT" per layer: instructions summed over the N
 *        runs of model_invoke; "total T": every instruction the guest executed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_min.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_LAYERS 4096
#define END_MARKER (-1)

static uint64_t total;                 /* instructions so far (added per translation block) */
static uint64_t layer_counts[MAX_LAYERS];
static int layer_count;                /* highest layer index seen + 1 */
static int current = END_MARKER;       /* the layer running; END_MARKER: none */
static uint64_t current_start;
static uint64_t invokes;
static const char *out_path;

/* A marker ran: close the current layer, open `layer` (or none after hwnas_layer_end). */
static void on_marker(unsigned int vcpu, void *userdata) {
  const int layer = (int)(intptr_t)userdata;
  (void)vcpu;
  /* A translation block can start inside a marker (Thumb-1 code splits them): the same
   * marker again is not a new layer. */
  if (layer == current) return;
  if (current != END_MARKER) layer_counts[current] += total - current_start;
  current = layer;
  current_start = total;
  if (layer == END_MARKER) ++invokes;
  if (layer + 1 > layer_count) layer_count = layer + 1;
}

/* The marker a symbol names: its layer, END_MARKER, or -2 for any other symbol. */
static int marker_of(const char *symbol) {
  static const char prefix[] = "hwnas_layer_";
  char *end;
  long layer;
  if (!symbol || strncmp(symbol, prefix, sizeof prefix - 1) != 0) return -2;
  if (strcmp(symbol + sizeof prefix - 1, "end") == 0) return END_MARKER;
  layer = strtol(symbol + sizeof prefix - 1, &end, 10);
  return *end == '\0' && layer >= 0 && layer < MAX_LAYERS ? (int)layer : -2;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  const size_t n = qemu_plugin_tb_n_insns(tb);
  size_t i;
  const char *previous = NULL;
  (void)id;
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total, n);
  for (i = 0; i < n; ++i) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    const char *symbol = qemu_plugin_insn_symbol(insn);
    const int marker = marker_of(symbol);
    /* A marker's first instruction: where the symbol starts within this block. */
    if (marker != -2 && (i == 0 ? 1 : previous != symbol))
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, (void *)(intptr_t)marker);
    previous = symbol;
  }
}

static void at_exit(qemu_plugin_id_t id, void *userdata) {
  FILE *f = out_path ? fopen(out_path, "w") : NULL;
  int layer;
  (void)id;
  (void)userdata;
  if (!f) f = stderr;
  fprintf(f, "invokes %llu\n", (unsigned long long)invokes);
  for (layer = 0; layer < layer_count; ++layer)
    fprintf(f, "layer %d %llu\n", layer, (unsigned long long)layer_counts[layer]);
  fprintf(f, "total %llu\n", (unsigned long long)total);
  if (f != stderr) fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  int i;
  (void)info;
  for (i = 0; i < argc; ++i)
    if (strncmp(argv[i], "out=", 4) == 0) out_path = strdup(argv[i] + 4);
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
