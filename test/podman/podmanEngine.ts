// Imported first by every test of this folder, before ../support/engine: those helpers read
// MASTERCOPY_TEST_ENGINE once, when they load, and this suite is always about Podman (its
// Docker-compatible API, served by scripts/setup-podman.sh), however it is started.
process.env.MASTERCOPY_TEST_ENGINE = 'podman';

export {};
