/*
 * ocppint.h: what ocppcore.c (framing, boot, status, transactions) and
 * ocppops.c (the CSMS's operations, the checks of their payloads, the
 * local list, the cache and the configuration keys) share. Not for the
 * rest of the master.
 */
#ifndef EVG_OCPPINT_H
#define EVG_OCPPINT_H

#include "ocppcore.h"

void	ocpp_send_result(struct ocpp_cp *, const char *id, json_t *payload);
void	ocpp_send_error(struct ocpp_cp *, const char *id, const char *code,
	    const char *desc);
int	ocpp_mq_push(struct ocpp_cp *, int action, json_t *payload, int conn,
	    const char *tag);
int	ocpp_act(struct ocpp_cp *, enum ocpp_act_kind, int connector,
	    const char *tag, const char *text);
struct ocpp_tx *ocpp_tx_find(struct ocpp_cp *, int64_t local);
struct ocpp_tx *ocpp_tx_open(struct ocpp_cp *, int connector);
void	ocpp_tx_stop(struct ocpp_cp *, struct ocpp_tx *, uint32_t meter,
	    const char *reason, int64_t wall);
void	ocpp_status_all(struct ocpp_cp *, int64_t wall);
void	ocpp_meter_tick(struct ocpp_cp *, uint64_t now, int64_t wall);
json_t	*ocpp_meter_json(const struct ocpp_cp *, int connector,
	    const char *list, const char *context, int64_t wall);

/* ocppops.c */
void	ocpp_dispatch(struct ocpp_cp *, const char *id, json_t *frame,
	    uint64_t now, int64_t wall);
void	ocpp_keys_init(struct ocpp_cp *);
void	ocpp_auth_answer(struct ocpp_cp *, int connector, const char *tag,
	    json_t *id_tag_info);
void	ocpp_auth_offline(struct ocpp_cp *, int connector, const char *tag);
void	ocpp_cache_put(struct ocpp_cp *, const char *tag, const char *status,
	    json_t *id_tag_info);

#endif
