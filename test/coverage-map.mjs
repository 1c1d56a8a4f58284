// tap's coverage map (.taprc `coverage-map`): which source files each test file's coverage counts; [] means all of
// them, null none. The layer-4 rollouts run their keep-alive clients at 800 requests a second in the test process:
// collecting coverage there (V8 counts every block of undici and http) costs them the pace they must keep, and the
// shutdown code they drive is covered by the other shutdown tests.
export default function coverageMap(testFile) {
  return /^test\/balancers\/layer4-rollout-/.test(testFile) ? null : [];
}
