/*
 * tranche/version.h — the version of tranche, for `tranche --version` and
 * the User-Agent of http assets' requests.
 */
#ifndef TRANCHE_VERSION_H
#define TRANCHE_VERSION_H

#ifndef TRANCHE_VERSION
#define TRANCHE_VERSION "0.1.0"
#endif

#endif
