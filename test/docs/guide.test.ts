// docs/guide.md: every code block is a file of examples/, and each example prints what the guide
// shows under it. The convention is described in test/helpers/doc-examples.ts.
import { testDocExamples } from '../helpers/doc-examples.js';

testDocExamples('docs/guide.md');
