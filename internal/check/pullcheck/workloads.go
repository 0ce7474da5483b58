package pullcheck

// containerLists are the pod spec fields that hold containers, in the order they are read.
var containerLists = [...]string{"initContainers", "containers", "ephemeralContainers"}
