/* Detector parameter values, shared by the configuration and the engine
 * without pulling in either (see detector.h for what they mean). */
#ifndef RS_PARAMS_H
#define RS_PARAMS_H

#include <stdint.h>

#define RS_DETECTORS_MAX 32 /* ids 0..31; never reuse an id */
#define RS_DPROPS_MAX 8     /* parameters per detector */

#define RS_DSTATE_SLOTS 8 /* int64 state slots per detector */

/* A detector's own state in a customer: what it keeps beyond the shared
 * aggregates (counts, baselines, change-point sums, times). */
struct rs_dstate {
    int64_t v[RS_DSTATE_SLOTS];
};

/* v[id][i] is parameter i (in the detector's props order) of detector id. */
struct rs_detector_params {
    int64_t v[RS_DETECTORS_MAX][RS_DPROPS_MAX];
};

#endif
