/* ut_version: the one version string of every Headframe binary, printed by
 * --version and shown as "version" in every module's /status. Bump it when
 * a release is cut. */
#ifndef UT_VERSION_H
#define UT_VERSION_H

#define HF_VERSION "0.2.0"

#endif
