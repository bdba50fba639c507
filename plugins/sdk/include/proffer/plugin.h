/* Proffer in-process call-logic plugin ABI, version 1.
 *
 * A plugin is a shared library (.so here, .dll on Windows) exporting one C function,
 * `proffer_plugin_entry`, that returns a descriptor. Messages in both directions are the JSON
 * bodies of the call-logic protocol (docs/protocol/call-logic.md), without hello or heartbeats.
 *
 * Threading: the engine calls `create`, `on_message` and `destroy` on its core thread and never
 * concurrently for one instance. `host->send` may be called from that thread (inside
 * `on_message` or not) or from any other thread; the engine queues it onto its core thread.
 * A plugin must not block in `on_message`.
 */
#ifndef PROFFER_PLUGIN_H
#define PROFFER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROFFER_PLUGIN_ABI_VERSION 1u

#if defined(_WIN32)
#define PROFFER_PLUGIN_EXPORT __declspec(dllexport)
#else
#define PROFFER_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

typedef struct proffer_host {
  void* host_ctx;
  /* Sends one process->engine message (a JSON object). Returns 0 when queued. */
  int (*send)(void* host_ctx, const char* json, size_t len);
  /* Writes one line to the engine's log. level: 0 debug, 1 info, 2 warning, 3 error. */
  void (*log)(void* host_ctx, int level, const char* message);
} proffer_host;

typedef struct proffer_plugin {
  uint32_t abi_version; /* PROFFER_PLUGIN_ABI_VERSION */
  const char* name;     /* for logs */
  uint32_t capacity;    /* channels one instance takes at once; 0 = unlimited */
  /* Creates an instance. `config_json` is the program's `config` table as JSON ("{}" if none). */
  void* (*create)(const proffer_host* host, const char* config_json);
  /* Delivers one engine->process message (event, reply, shutdown). */
  void (*on_message)(void* instance, const char* json, size_t len);
  void (*destroy)(void* instance);
} proffer_plugin;

typedef const proffer_plugin* (*proffer_plugin_entry_fn)(void);

/* The one symbol the engine looks up. */
PROFFER_PLUGIN_EXPORT const proffer_plugin* proffer_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* PROFFER_PLUGIN_H */
