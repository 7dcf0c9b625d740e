"""What an export can hold: file formats, graphs and quantizations (no TensorFlow here, so
that the command line can list them before loading it).

Example:
    >>> [f"{GRAPHS[g]}_{QUANTIZATIONS[q]}.tflite" for g in GRAPHS for q in QUANTIZATIONS][:2]
    ['model_fp32.tflite', 'model_fp16.tflite']
"""

FORMATS = ("savedmodel", "tflite")
GRAPHS = {"full": "model", "features": "features"}  # graph -> TFLite file prefix
SIGNATURES = {"full": "score", "features": "features"}  # graph -> signature name
QUANTIZATIONS = {"none": "fp32", "float16": "fp16", "int8": "int8"}
REPRESENTATIVE_IMAGES = 200  # int8 calibration: a seeded random sample of this many normals
