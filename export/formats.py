"""What an export can hold: file formats, graphs and quantizations (no TensorFlow here, so
that the command line can list them before loading it).

Example:
    >>> [f"{GRAPHS[g]}_{QUANTIZATIONS[q]}.tflite" for g in GRAPHS for q in QUANTIZATIONS][:2]
    ['model_fp32.tflite', 'model_fp16.tflite']
"""

FORMATS = ("savedmodel", "tflite")
GRAPHS = {"full": "model", "features": "features"}  # graph -> TFLite file prefix
SIGNATURES = {"full": "score", "features": "features"}  # graph -> signature name
# "dynamic": TFLite's dynamic-range quantization, int8 weights (and bank) with float
# activations: about int8's size, nearer the float scores, no calibration images needed.
# "weight_only": the networks' weights stored as int8 and dequantized to float at run time
# (float arithmetic), the feature bank as float16: the int8 file nearest Keras' decisions.
QUANTIZATIONS = {"none": "fp32", "float16": "fp16", "dynamic": "int8w", "int8": "int8",
                 "weight_only": "int8wo"}
REPRESENTATIVE_IMAGES = 200  # int8 calibration: a seeded random sample of this many normals
